/**
 * The OpenAPI description of the history routes (history.ts), joined into openapi.ts: the paths,
 * and the Version and Author schemas they use.
 */

type Described = Record<string, unknown>

/** Schemas of the history routes. */
export const historySchemas: Described = {
  Author: {
    type: 'object',
    required: ['name', 'verified', 'color'],
    properties: {
      name: { type: 'string' },
      verified: { type: 'boolean', description: "True when the name is a token's user claim; false for a presence name nobody vouches for." },
      color: { type: ['string', 'null'] }
    }
  },
  Version: {
    type: 'object',
    required: ['id', 'start', 'end', 'authors', 'added', 'removed', 'label', 'kind'],
    properties: {
      id: { type: 'string' },
      start: { type: 'integer', description: 'First change, ms since the epoch.' },
      end: { type: 'integer', description: 'Last change, ms since the epoch.' },
      authors: { type: 'array', items: { $ref: '#/components/schemas/Author' } },
      added: { type: 'integer', description: 'Characters added since the previous version.' },
      removed: { type: 'integer', description: 'Characters removed since the previous version.' },
      label: { type: ['string', 'null'] },
      kind: { type: 'string', enum: ['edit', 'restore', 'before-restore', 'import'] }
    }
  }
}

/** The history paths, given the shared pieces of openapi.ts. */
export function historyPaths(shared: { name: Described; token: Described; security: unknown[]; errors: Record<number, Described> }): Record<string, Described> {
  const { name, token, security, errors: E } = shared
  const json = (schema: object) => ({ 'application/json': { schema } })
  const conflict = { description: 'History is off for this document or server.', content: json({ $ref: '#/components/schemas/Error' }) }
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]*$' }, description: 'A version id.' }
  const version = json({ $ref: '#/components/schemas/Version' })
  const reads = { 400: E[400], 401: E[401], 403: E[403], 404: E[404] }
  // Reading and changing the history setting answer alike.
  const settingResponses = {
    200: {
      description: 'The setting.',
      content: json({
        type: 'object',
        required: ['enabled', 'server'],
        properties: { enabled: { type: 'boolean' }, server: { type: 'string', enum: ['on', 'off'] } }
      })
    },
    400: E[400],
    401: E[401],
    403: E[403]
  }
  return {
    '/api/docs/{name}/versions': {
      parameters: [name, token],
      get: {
        summary: "A document's versions, newest first",
        security,
        parameters: [
          { name: 'label', in: 'query', required: false, schema: { type: 'string', enum: ['1', '0'] }, description: '1: named versions only.' },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000 } }
        ],
        responses: {
          200: {
            description: 'The versions.',
            content: json({
              type: 'object',
              required: ['versions'],
              properties: { versions: { type: 'array', items: { $ref: '#/components/schemas/Version' } } }
            })
          },
          400: E[400],
          401: E[401],
          403: E[403]
        }
      }
    },
    '/api/docs/{name}/versions/{id}': {
      parameters: [name, id, token],
      get: {
        summary: "A version's text, or its state as a Yjs update (format=yjs, or Accept: application/octet-stream)",
        security,
        parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['text', 'yjs'] } }],
        responses: {
          200: {
            description: 'The version.',
            content: {
              'text/plain': { schema: { type: 'string' } },
              'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } }
            }
          },
          ...reads
        }
      }
    },
    '/api/docs/{name}/versions/{id}/label': {
      parameters: [name, { ...id, schema: { type: 'string' }, description: 'A version id, or "live" to cut a version of the live text and name it.' }, token],
      put: {
        summary: 'Name a version, rename it, or remove its name (label null); write access',
        security,
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['label'], properties: { label: { type: ['string', 'null'], maxLength: 200 } } })
        },
        responses: { 200: { description: 'The version, named.', content: version }, ...reads, 409: conflict }
      }
    },
    '/api/docs/{name}/versions/{id}/restore': {
      parameters: [name, id, token],
      post: {
        summary: "Make the live text the version's, as one minimal-diff change; the state just before is kept as a before-restore version; write access",
        security,
        responses: {
          200: {
            description: 'Restored and stored.',
            content: json({
              type: 'object',
              required: ['restored', 'before'],
              properties: { restored: { $ref: '#/components/schemas/Version' }, before: { $ref: '#/components/schemas/Version' } }
            })
          },
          ...reads,
          409: conflict
        }
      }
    },
    '/api/docs/{name}/diff': {
      parameters: [name, token],
      get: {
        summary: 'What changed between two versions, or from a version to the live text',
        security,
        parameters: [
          { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: 'A version id; default: the version before "to".' },
          { name: 'to', in: 'query', required: true, schema: { type: 'string' }, description: 'A version id, or "live".' }
        ],
        responses: {
          200: {
            description: 'The changes, in text order.',
            content: json({
              type: 'object',
              required: ['changes'],
              properties: {
                changes: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['kind', 'text'],
                    properties: { kind: { type: 'string', enum: ['equal', 'insert', 'delete'] }, text: { type: 'string' } }
                  }
                }
              }
            })
          },
          ...reads
        }
      }
    },
    '/api/docs/{name}/authorship': {
      parameters: [name, token],
      get: {
        summary: "Who wrote each stretch of a version's (or the live) text",
        security,
        parameters: [{ name: 'version', in: 'query', required: false, schema: { type: 'string' }, description: 'A version id, or "live" (the default).' }],
        responses: {
          200: {
            description: 'Spans in text order; offsets are UTF-16 code units.',
            content: json({
              type: 'object',
              required: ['spans'],
              properties: {
                spans: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['from', 'to', 'author', 'time'],
                    properties: {
                      from: { type: 'integer' },
                      to: { type: 'integer' },
                      author: { $ref: '#/components/schemas/Author' },
                      time: { type: 'integer' }
                    }
                  }
                }
              }
            })
          },
          ...reads
        }
      }
    },
    '/api/docs/{name}/history': {
      parameters: [name, token],
      get: {
        summary: 'Whether history is kept for the document (and on the server)',
        security,
        responses: {
          ...settingResponses
        }
      },
      put: {
        summary: 'Turn history on or off for the document; write access',
        security,
        requestBody: { required: true, content: json({ type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } }) },
        responses: {
          ...settingResponses
        }
      }
    }
  }
}
