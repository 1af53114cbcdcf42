/** `GET /api/openapi.json`: the API's OpenAPI 3.1 description (openapi.ts); open to anyone, it holds no data. */
import type { ApiRoute } from '../api-router.js'
import { sendJson } from '../respond.js'
import { openApiDocument } from './openapi.js'

/** The routes of this module. */
export const openApiRoutes: readonly ApiRoute[] = [{ path: '/api/openapi.json', methods: { GET: (call) => sendJson(call.res, 200, openApiDocument()) } }]
