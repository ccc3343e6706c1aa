/**
 * What the config says about its units, derived once: the stack's tier, which services use the
 * database and which image migrates it, and each service's build. Components, docs, runbooks and
 * the release read these rather than re-deriving them (or branching on a stack's name).
 */
import { MONITOR_CATALOG, type MonitorKind } from "./monitor-catalog";
import type { BuildConfig, ServiceConfig, StackConfig } from "./schema";

/** A production-tier stack: the stricter rules, 24x7 paging, sign-off floor, protective settings. */
export function isProductionTier(cfg: Pick<StackConfig, "profile">): boolean {
  return cfg.profile === "production";
}

/** The services whose tasks connect to the database and wait for its migrations. */
export function databaseServices(cfg: Pick<StackConfig, "services">): ServiceConfig[] {
  return cfg.services.filter((s) => s.usesDatabase);
}

/** The service whose image carries the migration runner and bundle (the schema guarantees one). */
export function migrationRunner(cfg: Pick<StackConfig, "services" | "database">): ServiceConfig {
  const named = cfg.database.migrations.runWith;
  const svc = named ? cfg.services.find((s) => s.name === named) : databaseServices(cfg)[0];
  if (!svc) throw new Error("no service runs the database migrations (the schema should have refused this config)");
  return svc;
}

/** A service's build: its own, or the stack's shared one. */
export function serviceBuild(cfg: Pick<StackConfig, "build">, svc: Pick<ServiceConfig, "build">): BuildConfig {
  return svc.build ?? cfg.build;
}

/** Builds shared by several services are built (and smoke-tested as an artifact) once. */
export function distinctBuilds(cfg: Pick<StackConfig, "build" | "services">): { build: BuildConfig; services: ServiceConfig[] }[] {
  const byKey = new Map<string, { build: BuildConfig; services: ServiceConfig[] }>();
  for (const svc of cfg.services) {
    const b = serviceBuild(cfg, svc);
    const key = JSON.stringify([b.workspace, b.context, b.dockerfile]);
    const entry = byKey.get(key) ?? { build: b, services: [] };
    entry.services.push(svc);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/**
 * Who owns a monitor kind that watches the database or its migration run rather than a service:
 * the stack has one database, so such a kind is ONE monitor however many services configure it
 * (two services each declaring `dbCpu` would page twice for one problem). The owner is the
 * service that migrates the database if it configures the kind, else the first that does; it
 * pages and is named on the monitor. Service-scoped kinds (and unconfigured ones): undefined.
 */
export function sharedMonitorOwner(cfg: Pick<StackConfig, "services" | "database">, kind: MonitorKind): ServiceConfig | undefined {
  if (MONITOR_CATALOG[kind].scope === "service") return undefined;
  const configuring = cfg.services.filter((s) => s.monitoring.monitors[kind] !== undefined);
  if (configuring.length === 0) return undefined;
  const runWith = cfg.database.migrations.runWith ?? databaseServices(cfg)[0]?.name;
  return configuring.find((s) => s.name === runWith) ?? configuring[0];
}
