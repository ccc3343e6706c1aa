/**
 * Pulumi type tokens the packs look at, with every spelling a resource may carry: AWS provider
 * v7 renamed BucketV2 to Bucket (both exist), the split S3 resources have V2 twins, and `aws:alb`
 * is an alias of `aws:lb`. Checked against `__pulumiType` in node_modules/@pulumi/aws.
 */
export const T = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  sse: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  ownershipControls: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
  logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  objectLock: [
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
  ],
  bucketAcl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
  ecrRepository: ["aws:ecr/repository:Repository"],
  ecrLifecyclePolicy: ["aws:ecr/lifecyclePolicy:LifecyclePolicy"],
  ecrCreationTemplate: ["aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"],
  taskDefinition: ["aws:ecs/taskDefinition:TaskDefinition"],
  ecsService: ["aws:ecs/service:Service"],
  ecsTaskSet: ["aws:ecs/taskSet:TaskSet"],
  ecsCluster: ["aws:ecs/cluster:Cluster"],
  iamPolicyDocument: [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/userPolicy:UserPolicy",
  ],
  iamRole: ["aws:iam/role:Role"],
  iamUserPolicy: ["aws:iam/userPolicy:UserPolicy", "aws:iam/userPolicyAttachment:UserPolicyAttachment"],
  iamPolicyAttachment: ["aws:iam/policyAttachment:PolicyAttachment"],
  /** IAM users and the long-lived credentials only users have. */
  iamUserCredentials: [
    "aws:iam/user:User",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    "aws:iam/signingCertificate:SigningCertificate",
    "aws:iam/sshKey:SshKey",
  ],
  iamExclusiveAttachments: ["aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"],
  /** Where a managed policy gets attached to a principal. */
  iamManagedAttachment: ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"],
  kmsKey: ["aws:kms/key:Key"],
  /** Every resource that is a KMS key (and can be disabled or scheduled for deletion). */
  kmsKeys: ["aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/externalKey:ExternalKey", "aws:kms/replicaExternalKey:ReplicaExternalKey"],
  kmsKeyPolicy: ["aws:kms/keyPolicy:KeyPolicy"],
  securityGroup: ["aws:ec2/securityGroup:SecurityGroup"],
  securityGroupRule: ["aws:ec2/securityGroupRule:SecurityGroupRule"],
  securityGroupIngressRule: ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
  securityGroupEgressRule: ["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"],
  defaultSecurityGroup: ["aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
  networkAcl: ["aws:ec2/networkAcl:NetworkAcl", "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"],
  networkAclRule: ["aws:ec2/networkAclRule:NetworkAclRule"],
  listener: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  loadBalancer: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  classicLoadBalancer: ["aws:elb/loadBalancer:LoadBalancer"],
  logGroup: ["aws:cloudwatch/logGroup:LogGroup"],
  secret: ["aws:secretsmanager/secret:Secret"],
  rdsInstance: ["aws:rds/instance:Instance"],
  rdsCluster: ["aws:rds/cluster:Cluster"],
  rdsClusterInstance: ["aws:rds/clusterInstance:ClusterInstance"],
  rdsParameterGroup: ["aws:rds/parameterGroup:ParameterGroup"],
  rdsClusterParameterGroup: ["aws:rds/clusterParameterGroup:ClusterParameterGroup"],
  metricAlarm: ["aws:cloudwatch/metricAlarm:MetricAlarm"],
  datadogMonitor: ["datadog:index/monitor:Monitor"],
  datadogSlo: ["datadog:index/serviceLevelObjective:ServiceLevelObjective"],
  datadogPagerdutyService: ["datadog:pagerduty/serviceObject:ServiceObject"],
  pagerdutyEscalationPolicy: ["pagerduty:index/escalationPolicy:EscalationPolicy"],
  pagerdutyService: ["pagerduty:index/service:Service"],
  /** Docker resources that promote an image by digest (pull the approved digest, push it under a release tag). */
  dockerPromotion: ["docker:index/registryImage:RegistryImage", "docker:index/remoteImage:RemoteImage", "docker:index/tag:Tag"],
  command: ["command:local:Command"],
} as const satisfies Record<string, readonly string[]>;

export type TypeGroup = (typeof T)[keyof typeof T];

export function isOneOf(type: string, group: readonly string[]): boolean {
  return group.includes(type);
}
