/**
 * Security group and network ACL rules, read from every resource that can carry them (inline
 * `ingress`/`egress` of aws.ec2.SecurityGroup and DefaultSecurityGroup, aws.ec2.SecurityGroupRule,
 * aws.vpc.SecurityGroupIngressRule/EgressRule, aws.ec2.NetworkAcl and NetworkAclRule), with
 * protocols normalised the way AWS reads them: names or IANA numbers (`tcp` = `6`, `udp` = `17`,
 * `icmp` = `1`, `icmpv6` = `58`) and `-1`/`all` for every protocol on every port.
 */
import { asArray, asRecord, asString, type Props } from "./props";
import { T, isOneOf } from "./types";

export type Direction = "ingress" | "egress";

export interface NetRule {
  direction: Direction;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IANA number for anything else. */
  protocol: string;
  from: number;
  to: number;
  /** IPv4/IPv6 CIDRs of the rule (security group references are not CIDRs). */
  cidrs: string[];
  /** The security group the rule belongs to, when known (`id` of an inline group, else `securityGroupId`). */
  groupId?: string;
}

const NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all", all: "all" };

export function normalizeProtocol(p: unknown): string {
  const s = String(p ?? "-1").trim().toLowerCase();
  return NAMES[s] ?? s;
}

/** A CIDR with prefix length 0 (0.0.0.0/0, ::/0): the whole internet. */
export function isWorld(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

const hasPorts = (protocol: string): boolean => protocol === "tcp" || protocol === "udp";

/** How messages name a rule's traffic: `TCP 22`, `TCP 1024-65535`, `all traffic`, `ICMP`. */
export function describeTraffic(r: Pick<NetRule, "protocol" | "from" | "to">): string {
  if (r.protocol === "all") return "all traffic";
  if (!hasPorts(r.protocol)) return r.protocol === "icmp" ? "ICMP" : r.protocol === "icmpv6" ? "ICMPv6" : `protocol ${r.protocol}`;
  const name = r.protocol.toUpperCase();
  return r.from === r.to ? `${name} ${r.from}` : `${name} ${r.from}-${r.to}`;
}

/** Whether the rule admits traffic to `port` of `protocol` (all-traffic rules admit every port). */
export function covers(r: NetRule, protocol: string, port: number): boolean {
  if (r.protocol === "all") return true;
  return r.protocol === protocol && hasPorts(protocol) && r.from <= port && port <= r.to;
}

/** Exactly one TCP port, and one of `ports`. */
export function isTcpPortIn(r: NetRule, ports: number[]): boolean {
  return r.protocol === "tcp" && r.from === r.to && ports.includes(r.from);
}

function portRange(protocol: string, from: unknown, to: unknown): [number, number] {
  if (!hasPorts(protocol)) return [0, 65535];
  const f = from === undefined || from === null || Number(from) < 0 ? 0 : Number(from);
  const t = to === undefined || to === null || Number(to) < 0 ? (from === undefined || Number(from) < 0 ? 65535 : f) : Number(to);
  return [f, t];
}

function rule(direction: Direction, protocolValue: unknown, from: unknown, to: unknown, cidrs: unknown[], groupId: string | undefined): NetRule {
  const protocol = normalizeProtocol(protocolValue);
  const [f, t] = portRange(protocol, from, to);
  const out: NetRule = { direction, protocol, from: f, to: t, cidrs: cidrs.filter((c): c is string => typeof c === "string" && c !== "") };
  if (groupId) out.groupId = groupId;
  return out;
}

/** Security group rules declared by a resource of any of the supported types. */
export function securityGroupRules(type: string, props: Props): NetRule[] {
  if (isOneOf(type, T.securityGroup) || isOneOf(type, T.defaultSecurityGroup)) {
    const id = asString(props.id);
    return (["ingress", "egress"] as const).flatMap((direction) =>
      asArray(props[direction])
        .map(asRecord)
        .map((r) => rule(direction, r.protocol, r.fromPort, r.toPort, [...asArray(r.cidrBlocks), ...asArray(r.ipv6CidrBlocks)], id)),
    );
  }
  if (isOneOf(type, T.securityGroupRule)) {
    const direction = asString(props.type) === "egress" ? "egress" : "ingress";
    return [rule(direction, props.protocol, props.fromPort, props.toPort, [...asArray(props.cidrBlocks), ...asArray(props.ipv6CidrBlocks)], asString(props.securityGroupId))];
  }
  if (isOneOf(type, T.securityGroupIngressRule) || isOneOf(type, T.securityGroupEgressRule)) {
    const direction = isOneOf(type, T.securityGroupEgressRule) ? "egress" : "ingress";
    return [rule(direction, props.ipProtocol, props.fromPort, props.toPort, [props.cidrIpv4, props.cidrIpv6], asString(props.securityGroupId))];
  }
  return [];
}

/** Allow entries of a network ACL (inline or aws.ec2.NetworkAclRule); deny entries admit nothing. */
export function naclAllowRules(type: string, props: Props): NetRule[] {
  if (isOneOf(type, T.networkAcl)) {
    return (["ingress", "egress"] as const).flatMap((direction) =>
      asArray(props[direction])
        .map(asRecord)
        .filter((r) => String(r.action).toLowerCase() === "allow")
        .map((r) => rule(direction, r.protocol, r.fromPort, r.toPort, [r.cidrBlock, r.ipv6CidrBlock], undefined)),
    );
  }
  if (isOneOf(type, T.networkAclRule) && String(props.ruleAction).toLowerCase() === "allow") {
    return [rule(props.egress === true ? "egress" : "ingress", props.protocol, props.fromPort, props.toPort, [props.cidrBlock, props.ipv6CidrBlock], undefined)];
  }
  return [];
}

export const SECURITY_GROUP_RULE_TYPES = [...T.securityGroup, ...T.defaultSecurityGroup, ...T.securityGroupRule, ...T.securityGroupIngressRule, ...T.securityGroupEgressRule];
