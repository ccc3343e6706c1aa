/**
 * The DATA-OPS policy pack. Loading this file starts @pulumi/policy's analyzer server (it prints
 * its gRPC port), which is how `pulumi preview --policy-pack` uses it; the definition is in
 * ./pack so the runner can serve it in-process and tests import the rules without a server.
 */
import { PolicyPack } from "@pulumi/policy";
import { dataOpsPack } from "./pack";

new PolicyPack(dataOpsPack.name, dataOpsPack.args);
