/**
 * `GET /api/server`: how this server is run, for pages and embedded editors: whether it is open
 * (anyone with a document's address may read and edit it) or needs access tokens, and the
 * largest message it accepts, so an editor can send a large change in parts under it. Nothing
 * secret: the same is visible by trying.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Gate } from '../connection/admission.js'
import { answerPreflight, jsonHeaders, sendJson } from './cors.js'

/** The path of the server description. */
export const SERVER_INFO_PATH = '/api/server'

/** What `GET /api/server` answers. */
export interface ServerInfo {
  /** `open`: no tokens (started without --auth-secret); `tokens`: access links are needed. */
  access: 'open' | 'tokens'
  /** The largest WebSocket message accepted (--max-message-bytes). */
  maxMessageBytes: number
}

const METHODS = 'GET, HEAD, OPTIONS'

/** Answer a request for {@link SERVER_INFO_PATH}. */
export function answerServerInfo(info: ServerInfo, gate: Gate, req: IncomingMessage, res: ServerResponse): void {
  const headers = jsonHeaders(gate, req)
  if (req.method === 'OPTIONS') return answerPreflight(req, res, headers, METHODS)
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ...headers, Allow: METHODS }, { error: 'method not allowed' })
  sendJson(res, 200, headers, info)
}
