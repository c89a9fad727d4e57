/**
 * Names a side output of type `T` (late data, or records a process function routes aside).
 * @example
 * ```ts
 * const late = new OutputTag<Click>('late-clicks'); const windowed = …sideOutputLateData(late); windowed.getSideOutput(late).print()
 * ```
 */
export class OutputTag<T> {
  readonly id: string;
  /** Never set: carries the record type for the compiler. */
  declare readonly _type?: T;

  constructor(id: string) {
    if (!id) throw new RangeError('an OutputTag needs a non-empty id');
    this.id = id;
  }
}
