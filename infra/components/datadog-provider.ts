/**
 * The Datadog provider, explicit: its API URL follows `observability.datadogSite`, so the site is
 * configured once (a default provider would talk to the US API unless `datadog:apiUrl` were set
 * too, a second place to keep in step). Keys come from the stack's secret config.
 */
import * as datadog from "@pulumi/datadog";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export function datadogApiUrl(site: string): string {
  return `https://api.${site}/`;
}

export function datadogProvider(ctx: StackContext): datadog.Provider {
  const keys = new pulumi.Config("datadog");
  return new datadog.Provider("datadog", {
    apiUrl: datadogApiUrl(ctx.cfg.observability.datadogSite),
    apiKey: keys.requireSecret("apiKey"),
    appKey: keys.requireSecret("appKey"),
    validate: "true",
  });
}
