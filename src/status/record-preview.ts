/** Keys whose values a status view never shows. */
const SECRET_KEY = /pass(word|wd)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|cookie|session[-_]?id/i;
/** `key=value` / `key: value` pairs inside strings (URLs, headers, log lines). */
const SECRET_PAIR = /\b(pass(?:word|wd)?|secret|token|api[-_]?key|authorization|auth)(["']?\s*[=:]\s*["']?)(?:bearer\s+)?[^\s&"',;}]+/gi;
/** user:password@ in URLs. */
const URL_CREDENTIALS = /(\/\/[^/:@\s]+):[^@\s/]+@/g;

/**
 * A short, safe text of a failing record for status views: secrets masked (by key name, in
 * `key=value` text and in URL credentials), raw frames shown as their size and first bytes, and
 * the whole cut to `maxChars`.
 * @example
 * ```ts
 * recordPreview({ user: 'a', password: 'x' }) // '{"user":"a","password":"***"}'
 * ```
 */
export function recordPreview(record: unknown, maxChars = 240): string {
  let text: string;
  if (record instanceof Uint8Array) {
    const head = Array.from(record.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    text = `<${record.length} bytes: ${head}${record.length > 16 ? ' …' : ''}>`;
  } else if (typeof record === 'string') {
    text = record;
  } else {
    try {
      const seen = new WeakSet<object>();
      text =
        JSON.stringify(record, (key, value: unknown) => {
          if (key !== '' && SECRET_KEY.test(key) && value !== null && typeof value !== 'object') return '***';
          if (typeof value === 'bigint') return `${value}n`;
          if (typeof value === 'object' && value !== null) {
            if (seen.has(value)) return '[circular]';
            seen.add(value);
          }
          return value;
        }) ?? String(record);
    } catch {
      text = String(record);
    }
  }
  text = text.replace(SECRET_PAIR, (_m, k: string, sep: string) => `${k}${sep}***`).replace(URL_CREDENTIALS, '$1:***@');
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
