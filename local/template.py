"""Read ``template.yaml`` (cfn-lint's decoder understands the intrinsic tags) and resolve intrinsics.

Physical names are derived from logical ids (``<stack>-<LogicalId>``); ARNs use the
moto default account. Enough of CloudFormation is resolved for what the template uses:
Ref, Fn::GetAtt, Fn::Sub, Fn::If / conditions, Fn::Join, Fn::Select and pseudo parameters.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
NO_VALUE = object()


# Template parameters the local stack overrides: short webhook retries so failures play out in a minute.
LOCAL_PARAMETERS = {"WebhookRetrySchedule": "2,5,10,30,60"}


def local_parameters() -> dict[str, str]:
    """Local overrides; ``WEBHOOK_RETRY_SCHEDULE``, ``WEBHOOK_TIMEOUT_SECONDS`` and ``CHAT_MODE`` in the
    environment win."""
    overrides = dict(LOCAL_PARAMETERS)
    for variable, parameter in (
        ("WEBHOOK_RETRY_SCHEDULE", "WebhookRetrySchedule"),
        ("WEBHOOK_TIMEOUT_SECONDS", "WebhookTimeoutSeconds"),
        ("CHAT_MODE", "ChatMode"),
    ):
        if variable in os.environ:
            overrides[parameter] = os.environ[variable]
    return overrides


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    from cfnlint.decode import decode

    decoded, matches = decode(str(path))
    if decoded is None or matches:
        raise ValueError(f"cannot read {path}: {[str(m) for m in matches]}")
    plain: dict[str, Any] = json.loads(json.dumps(decoded, default=str))
    return plain


@dataclass
class Stack:
    """A template plus the physical identity of each resource on the local stack."""

    template: dict[str, Any]
    name: str = "knowrithm-local"
    region: str = "us-east-1"
    parameters: dict[str, str] = field(default_factory=dict)
    # ids the emulator chose when it created a resource (a KMS key's id), by logical id
    physical_ids: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def physical_name(self, logical_id: str) -> str:
        return f"{self.name}-{logical_id}"

    def queue_url(self, logical_id: str, endpoint: str) -> str:
        return f"{endpoint.rstrip('/')}/{ACCOUNT_ID}/{self.physical_name(logical_id)}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        return {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name.lower()}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT_ID}:secret:{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:key/{self.physical_ids.get(logical_id, name)}",
        }.get(kind, f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{name}")

    # --- intrinsics ------------------------------------------------------------
    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        params = self.template.get("Parameters", {})
        if name in params:
            return self.parameters.get(name, str(params[name].get("Default", "")))
        if name not in self.resources:
            raise KeyError(f"Ref to unknown resource {name}")
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"http://localhost/{ACCOUNT_ID}/{self.physical_name(name)}"  # replaced by the real URL at runtime
        if kind == "AWS::SecretsManager::Secret":
            return self.physical_name(name)  # moto appends a random suffix to ARNs; the name works as SecretId
        if kind == "AWS::Serverless::LayerVersion":
            return self.arn(name)
        if kind == "AWS::S3::Bucket":
            return self.physical_name(name).lower()
        if kind == "AWS::KMS::Alias":
            return self.resolve(self.resources[name]["Properties"]["AliasName"])
        if name in self.physical_ids:
            return self.physical_ids[name]
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "StreamArn":
            return f"{self.arn(logical_id)}/stream/local"
        if attribute == "QueueName":
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        raise KeyError(f"Fn::GetAtt {logical_id}.{attribute} is not supported locally")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in ``value``; keys whose value is AWS::NoValue disappear."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            intrinsic = self._intrinsics().get(key)
            if intrinsic is not None:
                return intrinsic(arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        """The intrinsic functions the local stack resolves, by name (each takes the function's argument)."""
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda arg: self.get_att(*(arg.split(".", 1) if isinstance(arg, str) else arg)),
            "Fn::Sub": self._sub,
            "Fn::If": lambda arg: self.resolve(arg[1] if self.condition(arg[0]) else arg[2]),
            "Fn::Equals": lambda arg: self.resolve(arg[0]) == self.resolve(arg[1]),
            "Fn::Not": lambda arg: not self.resolve(arg[0]),
            "Fn::And": lambda arg: all(self.resolve(a) for a in arg),
            "Fn::Or": lambda arg: any(self.resolve(a) for a in arg),
            "Condition": self.condition,
            "Fn::Join": lambda arg: str(arg[0]).join(str(self.resolve(v)) for v in arg[1]),
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
        }

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)


@dataclass(frozen=True)
class FunctionSpec:
    """What the local stack needs to run one AWS::Serverless::Function in process."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    layer_dirs: tuple[Path, ...]
    events: dict[str, dict[str, Any]]


def functions(stack: Stack) -> dict[str, FunctionSpec]:
    """Every function with its Globals merged in and its environment resolved."""
    glob = stack.template.get("Globals", {}).get("Function", {})
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in stack.of_type("AWS::Serverless::Function").items():
        props = {**glob, **resource.get("Properties", {})}
        env = {
            **glob.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        # SAM adds a function's Layers to the Globals' (globals first), like its other lists
        declared = [*glob.get("Layers", []), *resource.get("Properties", {}).get("Layers", [])]
        layers = [layer.get("Ref") for layer in declared if isinstance(layer, dict)]
        layer_dirs = tuple(ROOT / stack.resources[name]["Properties"]["ContentUri"] for name in layers if name)
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=ROOT / props["CodeUri"],
            handler=props["Handler"],
            environment={k: str(v) for k, v in stack.resolve(env).items()},
            timeout=int(props.get("Timeout", 3)),
            layer_dirs=layer_dirs,
            events=resource.get("Properties", {}).get("Events", {}),
        )
    return specs
