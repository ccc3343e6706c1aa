/** SEC-OPS load balancer rules (`aws:lb` and its `aws:alb` alias; Classic Load Balancers are refused). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, type Props } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

const isApplication = (props: Props): boolean => (props.loadBalancerType ?? "application") === "application";

export const albHttpRedirectOnly: ResourceValidationPolicy = {
  name: "SEC-ALB-01-http-redirect-only",
  description: "Plain-HTTP listeners only redirect to HTTPS.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.1", "ELB.18"] }),
  validateResource: forTypes(T.listener, (props, args, report) => {
    if (props.protocol !== "HTTP") return;
    const actions = asArray(props.defaultActions).map(asRecord);
    const redirects = actions.length > 0 && actions.every((a) => a.type === "redirect" && String(asRecord(a.redirect).protocol).toUpperCase() === "HTTPS");
    if (!redirects) report(`HTTP listener '${args.name}' serves traffic in plain text: make its only default action a redirect with protocol 'HTTPS' and statusCode 'HTTP_301'.`);
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
  description: "HTTPS and TLS listeners use a TLS 1.2+/1.3 security policy.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.17"] }),
  configSchema: {
    properties: { allowedPolicies: { type: "array", items: { type: "string" }, default: MODERN_TLS_POLICIES, description: "Accepted ELB security policies." } },
  },
  validateResource: forTypes(T.listener, (props, args, report) => {
    if (props.protocol !== "HTTPS" && props.protocol !== "TLS") return;
    const { allowedPolicies } = configOf<TlsConfig>(args, { allowedPolicies: MODERN_TLS_POLICIES });
    const policy = typeof props.sslPolicy === "string" ? props.sslPolicy : "";
    if (!allowedPolicies.includes(policy)) report(`Listener '${args.name}' TLS policy '${policy || "(AWS default)"}' is outdated: set sslPolicy to ${allowedPolicies[0] ?? "a TLS 1.3 policy"}.`);
  }),
};

export const albDropInvalidHeaders: ResourceValidationPolicy = {
  name: "SEC-ALB-03-drop-invalid-headers",
  description: "Application load balancers drop requests with invalid HTTP headers (request smuggling).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.4"] }),
  validateResource: forTypes(T.loadBalancer, (props, args, report) => {
    if (!isApplication(props)) return;
    if (props.dropInvalidHeaderFields !== true) report(`Load balancer '${args.name}' forwards invalid headers: set dropInvalidHeaderFields to true.`);
  }),
};

export const albAccessLogs: ResourceValidationPolicy = {
  name: "SEC-ALB-04-access-logs",
  description: "Load balancers write access logs to S3 (who called what, for incident response).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.5"] }),
  validateResource: forTypes(T.loadBalancer, (props, args, report) => {
    if (props.loadBalancerType === "gateway") return; // gateway load balancers have no access logs
    const logs = asRecord(props.accessLogs);
    if (props.accessLogs === undefined || logs.enabled === false || !asString(logs.bucket)) {
      report(`Load balancer '${args.name}' writes no access logs: set accessLogs to { bucket: <the stack's access-log bucket>, prefix: 'alb/<service>', enabled: true }.`);
    }
  }),
};

interface RequiredConfig {
  required: boolean;
}

export const albDeletionProtection: ResourceValidationPolicy = {
  name: "SEC-ALB-05-deletion-protection",
  description: "Load balancers of stacks whose policy config requires it (production tier) cannot be deleted by accident.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.6"] }),
  configSchema: {
    properties: { required: { type: "boolean", default: true, description: "Require enableDeletionProtection on every load balancer." } },
  },
  validateResource: forTypes(T.loadBalancer, (props, args, report) => {
    const { required } = configOf<RequiredConfig>(args, { required: true });
    if (!required) args.notApplicable("Deletion protection is not required on this stack");
    if (props.enableDeletionProtection !== true) report(`Load balancer '${args.name}' can be deleted by anyone with the API call: set enableDeletionProtection to true.`);
  }),
};

const SAFE_DESYNC = ["defensive", "strictest"];

export const albDesyncMitigation: ResourceValidationPolicy = {
  name: "SEC-ALB-06-desync-mitigation",
  description: "Application load balancers mitigate HTTP desync (request smuggling) in defensive or strictest mode.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.12"] }),
  validateResource: forTypes(T.loadBalancer, (props, args, report) => {
    if (!isApplication(props)) return;
    const mode = asString(props.desyncMitigationMode) ?? "defensive"; // AWS's default
    if (!SAFE_DESYNC.includes(mode)) report(`Load balancer '${args.name}' desync mitigation is '${mode}': set desyncMitigationMode to 'strictest' (or 'defensive').`);
  }),
};

export const albMultiAz: ResourceValidationPolicy = {
  name: "SEC-ALB-07-multi-az",
  description: "Load balancers span at least two Availability Zones.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.13"] }),
  validateResource: forTypes(T.loadBalancer, (props, args, report) => {
    const zones = asArray(props.subnets).length + asArray(props.subnetMappings).length;
    if (zones < 2) report(`Load balancer '${args.name}' is in ${zones} subnet(s): list subnets in at least two Availability Zones.`);
  }),
};

export const noClassicLoadBalancers: ResourceValidationPolicy = {
  name: "SEC-ALB-08-no-classic-load-balancers",
  description: "No Classic Load Balancers: they lack the listener, TLS and desync controls the rules above enforce on ALBs.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.2", "ELB.3", "ELB.7", "ELB.8", "ELB.9", "ELB.10", "ELB.14"] }),
  validateResource: forTypes(T.classicLoadBalancer, (_props, args, report) => {
    report(`Classic Load Balancer '${args.name}' is not allowed: declare an aws.lb.LoadBalancer (application) with an HTTPS listener instead.`);
  }),
};

export const albPolicies = [albHttpRedirectOnly, albModernTls, albDropInvalidHeaders, albAccessLogs, albDeletionProtection, albDesyncMitigation, albMultiAz, noClassicLoadBalancers];
