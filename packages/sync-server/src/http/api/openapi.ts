/**
 * The OpenAPI 3.1 description of the `/api` routes, written by hand (AP9). test/openapi.test.ts
 * holds it against the real routes both ways: every route is described, and every described
 * operation answers each described status with the described media type and JSON shape. A new
 * route adds its path here. Every request may also get 405 (with Allow) for a method the path
 * does not take, 404 for an unknown /api path, and 429 after too many failed authentications.
 */
import { serverVersion } from './admin-server.js'
import { historyPaths, historySchemas } from './history-openapi.js'

const json = (schema: object) => ({ 'application/json': { schema } })
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) })

const E = {
  400: error('Bad input: a bad document name, an unknown format, a malformed parameter.'),
  401: error('The credential is missing or not valid.'),
  403: error('The credential does not allow this (another document, read-only, not an admin token; or administration is off).'),
  404: error('Nothing is stored under this name.'),
  413: error('The body is larger than the document size limit, or the change would take the document past it.'),
  415: error('The body has the wrong Content-Type.'),
  422: error('The Yjs update is malformed, or would cost too much to apply.'),
  429: error('Too many failed authentications from this address.')
}

const name = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'The document name as in the WebSocket path (segments separated by "/", PROTOCOL.md N1–N4).',
  schema: { type: 'string' }
}
const token = {
  name: 'token',
  in: 'query',
  required: false,
  description: 'Access token, when not sent as "Authorization: Bearer"; the header wins when both are given.',
  schema: { type: 'string' }
}
const documentAuth = [{}, { bearer: [] }, { query: [] }]
const adminAuth = [{ bearer: [] }, { query: [] }]

/** The description served at `GET /api/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Quire HTTP API',
      version: serverVersion(),
      description:
        'Documents from the outside (read, create or replace from text, apply Yjs updates, stored facts) under the token rules of the WebSocket, and administration with an admin credential. Errors are JSON: {"error": "..."}.'
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT, or the --admin-token' },
        query: { type: 'apiKey', in: 'query', name: 'token' }
      },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Facts: {
          type: 'object',
          required: ['name', 'bytes', 'changedAt', 'clients'],
          properties: {
            name: { type: 'string' },
            bytes: { type: 'integer', description: 'Bytes stored (snapshot and log).' },
            changedAt: { type: ['string', 'null'], format: 'date-time', description: 'When the latest change was stored.' },
            clients: { type: 'integer', description: 'Connected WebSocket clients.' }
          }
        },
        Change: {
          type: 'object',
          required: ['document', 'changed'],
          properties: { document: { type: 'string' }, changed: { type: 'boolean' }, created: { type: 'boolean' } }
        },
        ...historySchemas
      }
    },
    paths: {
      '/api/docs/{name}': {
        parameters: [name, token],
        get: {
          summary: 'Read a document as text, Markdown or a Yjs update',
          security: documentAuth,
          parameters: [
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['text', 'md', 'yjs'] }, description: 'Wins over Accept.' },
            { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }
          ],
          responses: {
            200: {
              description: 'The document; ETag from its state vector.',
              headers: { ETag: { schema: { type: 'string' } } },
              content: {
                'text/plain': { schema: { type: 'string' } },
                'text/markdown': { schema: { type: 'string' } },
                'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } }
              }
            },
            304: { description: 'If-None-Match names the current ETag.' },
            400: E[400],
            401: E[401],
            403: E[403],
            404: E[404],
            406: error('Accept admits none of the representations.')
          }
        },
        put: {
          summary: 'Create or replace the text (a minimal diff applied as one change, live for connected editors)',
          security: documentAuth,
          requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } }, 'text/markdown': { schema: { type: 'string' } } } },
          responses: {
            200: {
              description: 'Replaced (or already that text: changed is false); stored before the answer.',
              content: json({ $ref: '#/components/schemas/Change' })
            },
            201: { description: 'Created.', content: json({ $ref: '#/components/schemas/Change' }) },
            400: E[400],
            401: E[401],
            403: E[403],
            413: E[413],
            415: E[415]
          }
        },
        post: {
          summary: 'Apply a Yjs update (the same guards as the WebSocket path: size, shape, integration cost)',
          security: documentAuth,
          requestBody: {
            required: true,
            content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } }
          },
          responses: {
            200: {
              description: 'Applied and stored (changed is false when the document already held it).',
              content: json({ $ref: '#/components/schemas/Change' })
            },
            400: E[400],
            401: E[401],
            403: E[403],
            413: E[413],
            415: E[415],
            422: E[422]
          }
        }
      },
      ...historyPaths({ name, token, security: documentAuth, errors: E }),
      '/api/facts/{name}': {
        parameters: [name, token],
        get: {
          summary: "A document's stored facts",
          security: documentAuth,
          responses: {
            200: { description: 'Size, last change, connected clients.', content: json({ $ref: '#/components/schemas/Facts' }) },
            400: E[400],
            401: E[401],
            403: E[403],
            404: E[404]
          }
        }
      },
      '/api/admin/docs': {
        parameters: [token],
        get: {
          summary: 'List stored documents by name, a page at a time',
          security: adminAuth,
          parameters: [
            { name: 'prefix', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'after', in: 'query', required: false, schema: { type: 'string' }, description: 'The "next" of the previous page.' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }
          ],
          responses: {
            200: {
              description: 'One page.',
              content: json({
                type: 'object',
                required: ['documents', 'next'],
                properties: { documents: { type: 'array', items: { $ref: '#/components/schemas/Facts' } }, next: { type: ['string', 'null'] } }
              })
            },
            400: E[400],
            401: E[401],
            403: E[403]
          }
        }
      },
      '/api/admin/docs/{name}': {
        parameters: [name, token],
        delete: {
          summary: 'Delete a document (its clients are closed with 4410; the name can be used again)',
          security: adminAuth,
          responses: {
            200: {
              description: 'Deleted.',
              content: json({ type: 'object', required: ['document', 'deleted'], properties: { document: { type: 'string' }, deleted: { type: 'boolean' } } })
            },
            400: E[400],
            401: E[401],
            403: E[403],
            404: E[404]
          }
        }
      },
      '/api/admin/server': {
        parameters: [token],
        get: {
          summary: 'Server facts: version, uptime, settings without secrets',
          security: adminAuth,
          responses: {
            200: {
              description: 'Facts.',
              content: json({
                type: 'object',
                required: ['version', 'startedAt', 'uptimeSeconds', 'documentsLoaded', 'auth', 'settings'],
                properties: {
                  version: { type: 'string' },
                  startedAt: { type: 'string', format: 'date-time' },
                  uptimeSeconds: { type: 'integer' },
                  documentsLoaded: { type: 'integer' },
                  auth: { type: 'string', enum: ['open', 'token'] },
                  settings: { type: 'object', description: 'Every setting; secrets only as true (set) or false.' }
                }
              })
            },
            401: E[401],
            403: E[403]
          }
        }
      },
      '/api/access/{name}': {
        parameters: [name, token],
        get: {
          summary: 'What a WebSocket to the document would be told (CORS for --allowed-origins)',
          security: documentAuth,
          responses: {
            200: {
              description: 'The upgrade would be admitted.',
              content: json({
                type: 'object',
                required: ['document', 'access'],
                properties: { document: { type: 'string' }, access: { type: 'string', enum: ['read', 'write'] } }
              })
            },
            400: E[400],
            401: E[401],
            403: E[403]
          }
        }
      },
      '/api/openapi.json': {
        get: {
          summary: 'This description',
          security: [{}],
          responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'paths'] }) } }
        }
      }
    }
  }
}
