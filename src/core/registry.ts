/**
 * Registries are maps: registering a duplicate name is an error, asking for an unknown name is an
 * error that lists the valid ones.
 */
export class Registry<T> {
  private readonly items = new Map<string, T>();

  constructor(readonly what: string) {}

  register(name: string, item: T): T {
    if (this.items.has(name)) throw new Error(`${this.what} '${name}' is already registered; choose another name`);
    this.items.set(name, item);
    return item;
  }

  get(name: string): T {
    const item = this.items.get(name);
    if (item === undefined) {
      const valid = [...this.items.keys()].sort();
      throw new Error(`unknown ${this.what} '${name}'; valid ${this.what}s: ${valid.length ? valid.join(', ') : '(none registered)'}`);
    }
    return item;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  names(): string[] {
    return [...this.items.keys()];
  }

  entries(): [string, T][] {
    return [...this.items.entries()];
  }
}
