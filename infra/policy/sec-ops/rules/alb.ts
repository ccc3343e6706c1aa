/** SEC-OPS load balancer rules (`aws:lb` and its `aws:alb` alias). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const albHttpRedirectOnly: ResourceValidationPolicy = {
  name: "SEC-ALB-01-http-redirect-only",
  description: "Plain-HTTP listeners only redirect to HTTPS.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.listener, (props, _args, report) => {
    if (props.protocol !== "HTTP") return;
    const actions = asArray(props.defaultActions).map(asRecord);
    const redirects = actions.length > 0 && actions.every((a) => a.type === "redirect" && asRecord(a.redirect).protocol === "HTTPS");
    if (!redirects) report("HTTP listener serves traffic: make its only default action a redirect with protocol 'HTTPS' and statusCode 'HTTP_301'.");
  }),
};

export const MODERN_TLS_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
];

interface TlsConfig {
  allowedPolicies: string[];
}

export const albModernTls: ResourceValidationPolicy = {
  name: "SEC-ALB-02-modern-tls-policy",
  description: "HTTPS listeners use a TLS 1.2+/1.3 security policy.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { allowedPolicies: { type: "array", items: { type: "string" }, default: MODERN_TLS_POLICIES, description: "Accepted ELB security policies." } },
  },
  validateResource: forTypes(T.listener, (props, args, report) => {
    if (props.protocol !== "HTTPS" && props.protocol !== "TLS") return;
    const { allowedPolicies } = configOf<TlsConfig>(args, { allowedPolicies: MODERN_TLS_POLICIES });
    const policy = typeof props.sslPolicy === "string" ? props.sslPolicy : "";
    if (!allowedPolicies.includes(policy)) report(`Listener TLS policy '${policy || "(AWS default)"}' is outdated: set sslPolicy to ${allowedPolicies[0] ?? "a TLS 1.3 policy"}.`);
  }),
};

export const albDropInvalidHeaders: ResourceValidationPolicy = {
  name: "SEC-ALB-03-drop-invalid-headers",
  description: "Application load balancers drop requests with invalid HTTP headers (request smuggling).",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.loadBalancer, (props, _args, report) => {
    if ((props.loadBalancerType ?? "application") !== "application") return;
    if (props.dropInvalidHeaderFields !== true) report("Load balancer forwards invalid headers: set dropInvalidHeaderFields to true.");
  }),
};

export const albPolicies = [albHttpRedirectOnly, albModernTls, albDropInvalidHeaders];
