// The process-wide interrupt handling lives with the backend tooling (the embedded PostgreSQL
// helper needs it and the backend does not import infra/); the release command uses it from here.
export * from "../backend/src/process/interrupt";
