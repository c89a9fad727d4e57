/**
 * Wakes a source reader waiting for network data: {@link ArrivalSignal.wait} resolves when
 * {@link ArrivalSignal.notify} is called or after `maxWaitMs`, whichever is first — a reader must
 * not keep its actor waiting long, or barriers would queue behind it.
 */
export class ArrivalSignal {
  private wake: (() => void) | undefined;

  constructor(private readonly maxWaitMs: number) {}

  wait(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, this.maxWaitMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Data arrived (or the reader closes): the waiting reader goes on. */
  notify(): void {
    this.wake?.();
  }
}
