/**
 * SEC-OPS network rule: only HTTPS may be open to the whole internet. Covers inline security
 * group ingress, `aws.ec2.SecurityGroupRule` and `aws.vpc.SecurityGroupIngressRule`.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
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
}

export const sgWorldOnly443: ResourceValidationPolicy = {
  name: "SEC-NET-01-world-only-443",
  description: "Security groups open to the internet (0.0.0.0/0, ::/0) only on TCP 443.",
  severity: "critical",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { allowedPorts: { type: "array", items: { type: "integer" }, default: [443], description: "TCP ports that may be open to the internet." } },
  },
  validateResource: forTypes([...T.securityGroup, ...T.securityGroupRule, ...T.securityGroupIngressRule], (props, args, report) => {
    const { allowedPorts } = configOf<WorldConfig>(args, { allowedPorts: [443] });
    const bad = ingressOf(args.type, props).filter((i) => i.world && !(i.protocol.toLowerCase() === "tcp" && i.from === i.to && allowedPorts.includes(i.from)));
    for (const i of bad) report(`Ingress ${i.protocol} ${i.from}-${i.to} is open to the internet: restrict the source to the load balancer's security group, or open only TCP ${allowedPorts.join("/")}.`);
  }),
};

export const networkPolicies = [sgWorldOnly443];
