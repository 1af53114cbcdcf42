export type { HistoryEvent } from '@quire/protocol'
export { authorColor, authorLabel, authorshipDecorations, authorshipMarks, spanTitle } from './authorship-marks.js'
export type { BackoffOptions } from './backoff.js'
export { type CloseVerdict, closeReason, closeVerdict, type FinalConnection } from './close-policy.js'
export { collaborative } from './collaborative.js'
export type { Collaborator } from './collaborators.js'
export { createEditor, type EditorHandle, type EditorOptions } from './create-editor.js'
export {
  type Author,
  type AuthorSpan,
  type DiffChange,
  type HistoryClient,
  HistoryError,
  type HistoryOptions,
  history,
  historyUrl,
  LIVE,
  type RestoreResult,
  type Version,
  type VersionKind
} from './history-client.js'
export { type HistoryPanelOptions, historyPanel, versionSummary } from './history-panel.js'
export { randomUser, type User } from './identity.js'
export { ACCESS_WAIT_MS, type OpenDocument, type OpenDocumentEvents, type OpenDocumentOptions, openDocument } from './open-document.js'
export { remoteSelections } from './remote-selections.js'
export type { ServerInfo, SharedAccess } from './server-api.js'
export type { Connection, EditorStatus } from './status.js'
export { type VersionDiffOptions, versionDiff } from './version-diff.js'
