/**
 * An object that forwards every method to `inner` except those `overrides` replaces: the one way
 * tests wrap a real store (or any service) to delay, fail or watch some of its calls, so that a
 * new method on the contract is forwarded without touching every wrapper.
 */
export function passThrough<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T]
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}
