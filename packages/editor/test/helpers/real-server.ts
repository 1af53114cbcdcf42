/**
 * The real sync server and real sockets for the editor's tests in Node. The server process and
 * the stock y-websocket client come from the server package's own test helpers, so both
 * packages test against the same thing; `ws` is the WebSocket Node lacks (Node 20 has none).
 */
import { createRequire } from 'node:module'

export { connect as stockClient } from '../../../sync-server/test/helpers/client.js'
export { runCli, type ServerProcess, startServer, tempDataDir } from '../../../sync-server/test/helpers/server-process.js'
export { waitFor } from '../../../sync-server/test/helpers/wait.js'

// `ws` is a dependency of the server package, not of the editor (which runs on the browser's).
const requireFromServer = createRequire(new URL('../../../sync-server/package.json', import.meta.url))

/** The `ws` package's WebSocket class, for the editor's `WebSocketPolyfill` option. */
export const NodeWebSocket = (requireFromServer('ws') as { WebSocket: typeof WebSocket }).WebSocket
