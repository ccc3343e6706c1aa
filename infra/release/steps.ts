/**
 * The release's steps, in order, as declared objects. Steps whose modules export a bare run
 * function (migrations, smoke, api, documents) are declared here beside it; the declaration is what
 * the governance checklist lists and what the pipeline holds each step's output to.
 *
 * What each step waits for (`needs`) is declared here too: artifacts, migrations, policy, api
 * and documents read nothing another step writes and start together; the smoke test starts the
 * built archive on the run's PostgreSQL once the migration verify is done with it (roles are
 * cluster-wide: verify creates and drops the service's role, the smoke migration creates it);
 * governance reads every other step's results and comes last.
 */
import { apiStep } from "./api-step";
import { artifacts } from "./artifacts-step";
import { documentsStep } from "./documents-step";
import { governance } from "./governance-step";
import { migrationsStep } from "./migrations-step";
import { policy } from "./policy-step";
import { smokeStep } from "./smoke-step";
import type { ReleaseStep } from "./types";

export const migrations: ReleaseStep = {
  id: "migrations",
  title: "Migrations: lint, verify round trip, plan",
  blocking: true,
  needs: [],
  produces: () => [
    { standard: "DATA-OPS", item: "Database migration plan with rollback per migration (Task 5.1)", location: "migrations/migration-plan.md" },
    { standard: "DATA-OPS", item: "Migration lint and up/down/up verification", location: "migrations/verify-report.json", also: ["migrations/lint-report.json"] },
  ],
  run: migrationsStep,
};

export const smoke: ReleaseStep = {
  id: "smoke",
  title: "Smoke test: built service on a migrated database",
  blocking: true,
  needs: ["artifacts", "migrations"],
  produces: () => [{ standard: "OPS-API", item: "Smoke test of the built service on a migrated database", location: "smoke/smoke-test.json" }],
  run: smokeStep,
};

export const api: ReleaseStep = {
  id: "api",
  title: "API contract: OpenAPI documents and changes since the previous release",
  blocking: true,
  needs: [],
  produces: () => [{ standard: "OPS-API", item: "API contract (OpenAPI 3.1 per workspace) and its changes since the previous release", location: "api/api-diff.md", also: ["api/api-diff.json", "api/"] }],
  run: (ctx) => apiStep(ctx),
};

export const documents: ReleaseStep = {
  id: "documents",
  title: "Documents: notes, rollback, on-call, monitors, configuration, runbooks, CI/CD",
  blocking: true,
  needs: [],
  produces: () => [
    { standard: "REL-BACKEND", item: "Release notes: changes, API, known limitations (Task 5.4)", location: "docs/release-notes.md" },
    { standard: "REL-BACKEND", item: "Rollback strategy: service and database", location: "docs/rollback-strategy.md" },
    { standard: "REL-BACKEND", item: "CI/CD stages reviewed: tests and security scans enforced (Task 5.2)", location: "docs/ci-cd-stages.md" },
    { standard: "DOC-RUNBOOK", item: "Runbooks: startup, shutdown, scaling, incident response, alerts (Task 5.3)", location: "runbooks/" },
    { standard: "DOC-RUNBOOK", item: "Runbook index", location: "docs/runbook-index.md" },
    { standard: "DOC-RUNBOOK", item: "Monitoring dashboards and alert thresholds", location: "docs/monitors-and-thresholds.md" },
    { standard: "DOC-RUNBOOK", item: "On-call rotation and escalation, with its calendar", location: "docs/oncall-rotation.md", also: ["docs/oncall-calendar.svg"] },
    { standard: "DOC-RUNBOOK", item: "Knowledge transfer: agenda, minutes, action items", location: "docs/handoff/" },
    { standard: "OPS-API", item: "Environment configuration requirements (Task 5.2)", location: "docs/environment-configuration.md" },
    { standard: "OPS-API", item: "Configuration reference", location: "docs/configuration-reference.md" },
  ],
  run: documentsStep,
};

/** Preview and policy read only the stack's config: they run alongside the others. */
const policyAlongside: ReleaseStep = { ...policy, needs: [] };

/** The order the brief lists them (results and records keep it); governance reads the others' declarations and results. */
export const DEFAULT_STEPS: readonly ReleaseStep[] = [artifacts, migrations, policyAlongside, smoke, api, documents, governance];
