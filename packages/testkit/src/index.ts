export * from './pass-through.js'
export * from './random.js'
export * from './trace.js'
export * from './wait.js'
