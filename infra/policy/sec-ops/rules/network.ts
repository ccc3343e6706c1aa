/**
 * SEC-OPS network rules over every resource that can open a port (see lib/network.ts): what may
 * face the internet (IPv4 and IPv6), what may leave for it, the VPC default group, network ACLs.
 * SEC-NET-01 and -02 are stack rules because the right fix depends on what uses the group: a
 * load balancer's group may face the internet on TCP 443, a database's or a task's never.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { covers, describeTraffic, isTcpPortIn, isWorld, naclAllowRules, securityGroupRules, SECURITY_GROUP_RULE_TYPES, type NetRule } from "../../lib/network";
import { asArray, asRecord, asString, known } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

interface WorldConfig {
  allowedPorts: number[];
  redirectPorts: number[];
}

const worldCidr = (r: NetRule): string | undefined => r.cidrs.find(isWorld);

type Role = "load balancer" | "database" | "workload";

/** Resources that attach a security group, by the group id they name. */
function groupUsers(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const users = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    const p = r.props;
    const ids = known(() => [p.securityGroups, p.vpcSecurityGroupIds, p.securityGroupIds, asRecord(p.networkConfiguration).securityGroups, asRecord(p.vpcConfig).securityGroupIds].flatMap(asArray)) ?? [];
    for (const id of ids) if (typeof id === "string") users.set(id, [...(users.get(id) ?? []), r]);
  }
  return users;
}

function roleOf(r: PolicyResource): Role {
  if (isOneOf(r.type, T.loadBalancer) || isOneOf(r.type, T.classicLoadBalancer)) return "load balancer";
  if (/^aws:(rds|elasticache|docdb|neptune|redshift|memorydb|opensearch|elasticsearch)\//.test(r.type)) return "database";
  return "workload";
}

/** The fix for world-facing ingress, right for what the group protects. */
function fixFor(users: PolicyResource[], allowed: number[]): string {
  const data = users.find((u) => roleOf(u) === "database");
  if (data) return `remove it: '${data.name}' is a data store, so admit only its clients' security groups (referencedSecurityGroupId, e.g. the tasks' group)`;
  const workload = users.find((u) => roleOf(u) === "workload");
  if (workload) return `remove it: '${workload.name}' takes traffic only through its load balancer, so admit the load balancer's security group (referencedSecurityGroupId)`;
  if (users.length > 0) return `remove it, or narrow it to TCP ${allowed.join("/")}: a load balancer faces the internet only on HTTPS`;
  return `remove it, or narrow it to TCP ${allowed.join("/")} on a load balancer's group; admit other clients by security group reference`;
}

export const sgWorldOnly443: StackValidationPolicy = {
  name: "SEC-NET-01-world-only-443",
  description: "Only load balancer security groups face the internet (0.0.0.0/0, ::/0), and only on TCP 443; data stores and tasks never do.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["EC2.13", "EC2.14", "EC2.18", "EC2.19", "EC2.53", "EC2.54"], cis: ["5.2", "5.3"] }),
  configSchema: {
    properties: {
      allowedPorts: { type: "array", items: { type: "integer" }, default: [443], description: "TCP ports a load balancer's group may open to the internet." },
      redirectPorts: { type: "array", items: { type: "integer" }, default: [80], description: "TCP ports judged by SEC-NET-02 instead: open to the internet only on load balancers that redirect them." },
    },
  },
  validateStack: (args, report) => {
    const { allowedPorts, redirectPorts } = configOf<WorldConfig>(args, { allowedPorts: [443], redirectPorts: [80] });
    const users = groupUsers(args.resources);
    const groups = new Map(args.resources.filter((r) => isOneOf(r.type, T.securityGroup)).map((g) => [known(() => asString(g.props.id)) ?? "", g]));
    for (const r of args.resources.filter((x) => SECURITY_GROUP_RULE_TYPES.includes(x.type as never) && !isOneOf(x.type, T.defaultSecurityGroup))) {
      for (const rule of securityGroupRules(r.type, r.props).filter((x) => x.direction === "ingress")) {
        const cidr = worldCidr(rule);
        if (!cidr) continue;
        const attached = rule.groupId ? (users.get(rule.groupId) ?? []) : [];
        const onlyLbs = attached.every((u) => roleOf(u) === "load balancer");
        if (onlyLbs && (isTcpPortIn(rule, allowedPorts) || isTcpPortIn(rule, redirectPorts))) continue;
        const group = groups.get(rule.groupId ?? "\0")?.name ?? rule.groupId ?? r.name;
        report(`Ingress ${describeTraffic(rule)} from ${cidr} on security group '${group}' is open to the internet: ${fixFor(attached, allowedPorts)}.`, r.urn);
      }
    }
  },
};

function redirectsToHttps(listener: PolicyResource): boolean {
  const actions = asArray(listener.props.defaultActions).map(asRecord);
  return actions.length > 0 && actions.every((a) => a.type === "redirect" && String(asRecord(a.redirect).protocol).toUpperCase() === "HTTPS");
}

export const sgHttpOnlyToRedirect: StackValidationPolicy = {
  name: "SEC-NET-02-http-only-to-redirect",
  description: "A port open to the internet only so that HTTP can be redirected (80) belongs to load balancers, and their listeners on it only redirect to HTTPS.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ELB.1", "EC2.18"] }),
  configSchema: {
    properties: { redirectPorts: { type: "array", items: { type: "integer" }, default: [80], description: "Ports that may be open to the internet for an HTTP-to-HTTPS redirect." } },
  },
  validateStack: (args, report) => {
    const { redirectPorts } = configOf<{ redirectPorts: number[] }>(args, { redirectPorts: [80] });
    const users = groupUsers(args.resources);
    for (const r of args.resources.filter((x) => SECURITY_GROUP_RULE_TYPES.includes(x.type as never))) {
      for (const port of redirectPorts) {
        const rule = securityGroupRules(r.type, r.props).find((i) => i.direction === "ingress" && worldCidr(i) && isTcpPortIn(i, [port]));
        if (!rule?.groupId) continue; // unknown until the group exists: judged on the next run
        const attached = (users.get(rule.groupId) ?? []).filter((u) => u !== r);
        const lbs = attached.filter((u) => isOneOf(u.type, T.loadBalancer));
        const others = attached.filter((u) => !lbs.includes(u));
        const fix = `open only TCP 443, or keep port ${port} on a group used only by load balancers whose port-${port} listeners redirect to HTTPS`;
        if (lbs.length === 0 && others.length === 0) report(`Ingress TCP ${port} is open to the internet on a group no load balancer uses: ${fix}.`, r.urn);
        for (const o of others) report(`Ingress TCP ${port} is open to the internet on a group also attached to '${o.name}': ${fix}.`, r.urn);
        for (const lb of lbs) {
          const arn = asString(lb.props.arn);
          const listeners = args.resources.filter((l) => isOneOf(l.type, T.listener) && Number(l.props.port) === port && asString(l.props.loadBalancerArn) === arn);
          for (const l of listeners.filter((x) => !redirectsToHttps(x))) report(`Ingress TCP ${port} is open to the internet, but listener '${l.name}' of '${lb.name}' on that port does not only redirect to HTTPS: ${fix}.`, r.urn);
        }
      }
    }
  },
};

interface EgressConfig {
  allowedPorts: number[];
}

export const sgEgressToInternet: ResourceValidationPolicy = {
  name: "SEC-NET-03-egress-to-internet",
  description: "Traffic may leave for the internet (0.0.0.0/0, ::/0) only on the allowed TCP ports (HTTPS); everything else goes to a security group.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" }),
  configSchema: {
    properties: { allowedPorts: { type: "array", items: { type: "integer" }, default: [443], description: "TCP ports that may reach the internet." } },
  },
  validateResource: forTypes(SECURITY_GROUP_RULE_TYPES, (props, args, report) => {
    const { allowedPorts } = configOf<EgressConfig>(args, { allowedPorts: [443] });
    for (const rule of securityGroupRules(args.type, props).filter((r) => r.direction === "egress")) {
      const cidr = worldCidr(rule);
      if (cidr && !isTcpPortIn(rule, allowedPorts)) {
        report(`Egress ${describeTraffic(rule)} to ${cidr} from '${args.name}' reaches the whole internet: allow only TCP ${allowedPorts.join("/")} to ${cidr}, and reach anything else through its security group (referencedSecurityGroupId).`);
      }
    }
  }),
};

export const defaultGroupClosed: ResourceValidationPolicy = {
  name: "SEC-NET-04-default-security-group-closed",
  description: "The VPC's default security group admits and sends nothing, so a resource launched without a group is isolated.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["EC2.2"], cis: ["5.4"] }),
  validateResource: forTypes(T.defaultSecurityGroup, (props, args, report) => {
    const rules = securityGroupRules(args.type, props);
    if (rules.length > 0) report(`Default security group '${args.name}' has ${rules.map((r) => `${r.direction} ${describeTraffic(r)}`).join(", ")}: set ingress and egress to [] and give every resource its own group.`);
  }),
};

interface NaclConfig {
  adminPorts: number[];
}

export const naclAdminPorts: ResourceValidationPolicy = {
  name: "SEC-NET-05-nacl-admin-ports",
  description: "Network ACLs do not allow remote administration ports (SSH, RDP) from the internet.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["EC2.21"], cis: ["5.1"] }),
  configSchema: {
    properties: { adminPorts: { type: "array", items: { type: "integer" }, default: [22, 3389], description: "Remote administration ports." } },
  },
  validateResource: forTypes([...T.networkAcl, ...T.networkAclRule], (props, args, report) => {
    const { adminPorts } = configOf<NaclConfig>(args, { adminPorts: [22, 3389] });
    for (const rule of naclAllowRules(args.type, props).filter((r) => r.direction === "ingress")) {
      const cidr = worldCidr(rule);
      const ports = adminPorts.filter((p) => covers(rule, "tcp", p));
      if (cidr && ports.length > 0) report(`Network ACL '${args.name}' allows ${describeTraffic(rule)} from ${cidr}, which includes remote administration port(s) ${ports.join(", ")}: deny ${ports.map((p) => `TCP ${p}`).join(" and ")} from ${cidr} (or narrow the allow entry).`);
    }
  }),
};

export const networkPolicies = [sgWorldOnly443, sgHttpOnlyToRedirect, sgEgressToInternet, defaultGroupClosed, naclAdminPorts];
