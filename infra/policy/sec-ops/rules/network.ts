/**
 * SEC-OPS network rule: only HTTPS may be open to the whole internet. Covers inline security
 * group ingress, `aws.ec2.SecurityGroupRule` and `aws.vpc.SecurityGroupIngressRule`.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, asString, type Props } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

const WORLD = ["0.0.0.0/0", "::/0"];

interface Ingress {
  from: number;
  to: number;
  protocol: string;
  world: boolean;
}

function ingressOf(type: string, props: Props): Ingress[] {
  const rule = (r: Props, cidrs: unknown[]): Ingress => ({
    from: Number(r.fromPort ?? 0),
    to: Number(r.toPort ?? r.fromPort ?? 65535),
    protocol: String(r.protocol ?? r.ipProtocol ?? "-1"),
    world: cidrs.some((c) => WORLD.includes(String(c))),
  });
  if ((T.securityGroup as readonly string[]).includes(type)) {
    return asArray(props.ingress).map(asRecord).map((r) => rule(r, [...asArray(r.cidrBlocks), ...asArray(r.ipv6CidrBlocks)]));
  }
  if ((T.securityGroupRule as readonly string[]).includes(type)) {
    return asString(props.type) === "ingress" ? [rule(props, [...asArray(props.cidrBlocks), ...asArray(props.ipv6CidrBlocks)])] : [];
  }
  return [rule(props, [props.cidrIpv4, props.cidrIpv6])];
}

interface WorldConfig {
  allowedPorts: number[];
  redirectPorts: number[];
}

const isTcpPort = (i: Ingress, ports: number[]) => i.protocol.toLowerCase() === "tcp" && i.from === i.to && ports.includes(i.from);

export const sgWorldOnly443: ResourceValidationPolicy = {
  name: "SEC-NET-01-world-only-443",
  description: "Security groups open to the internet (0.0.0.0/0, ::/0) only on TCP 443.",
  severity: "critical",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedPorts: { type: "array", items: { type: "integer" }, default: [443], description: "TCP ports that may be open to the internet." },
      redirectPorts: { type: "array", items: { type: "integer" }, default: [80], description: "TCP ports judged by SEC-NET-02 instead: open to the internet only on load balancers that redirect them." },
    },
  },
  validateResource: forTypes([...T.securityGroup, ...T.securityGroupRule, ...T.securityGroupIngressRule], (props, args, report) => {
    const { allowedPorts, redirectPorts } = configOf<WorldConfig>(args, { allowedPorts: [443], redirectPorts: [80] });
    const bad = ingressOf(args.type, props).filter((i) => i.world && !isTcpPort(i, allowedPorts) && !isTcpPort(i, redirectPorts));
    for (const i of bad) report(`Ingress ${i.protocol} ${i.from}-${i.to} is open to the internet: restrict the source to the load balancer's security group, or open only TCP ${allowedPorts.join("/")}.`);
  }),
};

/** The security group an ingress belongs to: the group itself, or the rule's securityGroupId. */
function groupIdOf(r: PolicyResource): string | undefined {
  return (T.securityGroup as readonly string[]).includes(r.type) ? asString(r.props.id) : asString(r.props.securityGroupId);
}

function usesGroup(r: PolicyResource, id: string): boolean {
  const lists = [r.props.securityGroups, r.props.vpcSecurityGroupIds, asRecord(r.props.networkConfiguration).securityGroups];
  return lists.some((l) => asArray(l).map(String).includes(id));
}

function redirectsToHttps(listener: PolicyResource): boolean {
  const actions = asArray(listener.props.defaultActions).map(asRecord);
  return actions.length > 0 && actions.every((a) => a.type === "redirect" && String(asRecord(a.redirect).protocol).toUpperCase() === "HTTPS");
}

export const sgHttpOnlyToRedirect: StackValidationPolicy = {
  name: "SEC-NET-02-http-only-to-redirect",
  description: "A port open to the internet only so that HTTP can be redirected (80) belongs to load balancers, and their listeners on it only redirect to HTTPS.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { redirectPorts: { type: "array", items: { type: "integer" }, default: [80], description: "Ports that may be open to the internet for an HTTP-to-HTTPS redirect." } },
  },
  validateStack: (args, report) => {
    const { redirectPorts } = (args.getConfig<{ redirectPorts?: number[] }>() ?? {}) as { redirectPorts?: number[] };
    const ports = redirectPorts ?? [80];
    const rules = args.resources.filter((r) => [...T.securityGroup, ...T.securityGroupRule, ...T.securityGroupIngressRule].includes(r.type as never));
    for (const rule of rules) {
      for (const port of ports) {
        if (!ingressOf(rule.type, rule.props).some((i) => i.world && isTcpPort(i, [port]))) continue;
        const id = groupIdOf(rule);
        if (!id) continue; // unknown until the group exists: judged on the next run
        const users = args.resources.filter((r) => r !== rule && usesGroup(r, id));
        const lbs = users.filter((r) => (T.loadBalancer as readonly string[]).includes(r.type));
        const others = users.filter((r) => !lbs.includes(r));
        const fix = `open only TCP 443, or keep port ${port} on a group used only by load balancers whose port-${port} listeners redirect to HTTPS`;
        if (lbs.length === 0) report(`Ingress TCP ${port} is open to the internet on a group no load balancer uses: ${fix}.`, rule.urn);
        for (const o of others) report(`Ingress TCP ${port} is open to the internet on a group also attached to '${o.name}': ${fix}.`, rule.urn);
        for (const lb of lbs) {
          const arn = asString(lb.props.arn);
          const listeners = args.resources.filter((r) => (T.listener as readonly string[]).includes(r.type) && Number(r.props.port) === port && asString(r.props.loadBalancerArn) === arn);
          for (const l of listeners.filter((x) => !redirectsToHttps(x))) report(`Ingress TCP ${port} is open to the internet, but listener '${l.name}' of '${lb.name}' on that port does not only redirect to HTTPS: ${fix}.`, rule.urn);
        }
      }
    }
  },
};

export const networkPolicies = [sgWorldOnly443, sgHttpOnlyToRedirect];
