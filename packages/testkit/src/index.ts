export * from './random.js'
export * from './trace.js'
