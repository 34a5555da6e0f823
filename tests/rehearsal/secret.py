#!/usr/bin/env python3
"""Drives moto's Secrets Manager the way RDS and its single-user rotation do, for tests/rehearsal/run.sh.

  secret.py create NAME USER PASSWORD   create an RDS-managed-style secret ({"username", "password"} only);
                                        prints its ARN (the task definition passes the ARN as SECRET_NAME)
  secret.py pending ARN USER PASSWORD   rotation step createSecret: a new version under AWSPENDING; prints its id
  secret.py promote ARN VERSION_ID      rotation step finishSecret: AWSCURRENT moves to VERSION_ID

The endpoint comes from AWS_ENDPOINT_URL, the region from AWS_REGION (both set by run.sh).
"""
import json
import os
import sys

import boto3


def client():
    return boto3.client(
        "secretsmanager",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def value(user, password):
    return json.dumps({"username": user, "password": password})


def main(command, *args):
    sm = client()
    if command == "create":
        name, user, password = args
        print(sm.create_secret(Name=name, SecretString=value(user, password))["ARN"])
    elif command == "pending":
        arn, user, password = args
        answer = sm.put_secret_value(
            SecretId=arn, SecretString=value(user, password), VersionStages=["AWSPENDING"]
        )
        print(answer["VersionId"])
    elif command == "promote":
        arn, version = args
        stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=version, RemoveFromVersionId=current
        )
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:]) if len(sys.argv) > 1 else sys.exit(__doc__)
