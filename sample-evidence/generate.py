#!/usr/bin/env python3
"""Regenerate the meshproof demo evidence ("Acme Corp" multi-cluster Istio Ambient mesh).

Usage:  python3 sample-evidence/generate.py [--out DIR]

Writes DIR/mesh/<cluster>/... (kubectl-style dumps), DIR/mesh/mgmt/audit/ (API-server audit log)
and DIR/gitops.git (bare git repository). DIR defaults to the folder holding this script.
README.md is hand-written and is not touched.

Dependencies: Python 3 standard library, the `cryptography` package, and the `git` and
`ssh-keygen` executables. Keys are random on every run; every date, name and structure is fixed,
so findings stay the same at the evaluation time as-of = 2026-12-01T00:00:00Z.
"""

import argparse
import base64
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
# unchanged copies of kubernetes/kubernetes bootstrap-policy testdata (Apache-2.0), see README.md
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "real-world", "kubernetes-bootstrap-rbac")

TRUST_DOMAIN = "acme.internal"
WORKLOAD = ["eu-central-1", "eu-west-1", "us-east-1", "ap-south-1"]
DECOMMISSIONED = "us-west-2"
EW_IP = {"eu-central-1": "203.0.113.10", "eu-west-1": "203.0.113.20", "us-east-1": "203.0.113.30",
         "ap-south-1": "203.0.113.40", "us-west-2": "203.0.113.50"}
REGION = {"eu-central-1": "eu-central", "eu-west-1": "eu-west", "us-east-1": "us-east",
          "ap-south-1": "ap-south", "us-west-2": "us-west"}
# Fixed, documented relay bootstrap token (README "planted secrets"): must be redacted by the collector.
RELAY_TOKEN = "rly-PLANTED-7f3c9a1e5b2d48c0a6e1f9b3d7c5a2e8"
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
READER_SA = "istio-reader-service-account"

# ---------------------------------------------------------------------------------------------
# small helpers


def T(s):
    """Parse an RFC 3339 UTC timestamp ("...Z")."""
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def ts(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_us(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def b64(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "acme-mesh/" + "/".join(parts)))


_RV = [418000]


def rv():
    _RV[0] += random.Random(_RV[0]).randint(7, 4000)
    return str(_RV[0])


# ---------------------------------------------------------------------------------------------
# minimal YAML emitter (kubectl style: sorted keys, block style, lists at the key's indent)

_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", ""}


def _yscalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if (re.fullmatch(r"[A-Za-z_/][A-Za-z0-9_./@:\-]*", s) and ": " not in s and not s.endswith(":")
            and s.lower() not in _RESERVED):
        return s
    return json.dumps(s)


def _is_block(s):
    return (isinstance(s, str) and "\n" in s and not s.startswith((" ", "\n"))
            and all(line == line.rstrip() for line in s.split("\n")) and "\t" not in s)


def _block(s, ind):
    chomp = "|" if s.endswith("\n") and not s.endswith("\n\n") else "|-"
    body = s[:-1] if chomp == "|" else s
    pad = " " * ind
    return chomp + "\n" + "\n".join((pad + l) if l else "" for l in body.split("\n"))


def _yemit(v, ind, out, sort=True):
    pad = " " * ind
    if isinstance(v, dict):
        keys = sorted(v) if sort else list(v)
        for k in keys:
            val = v[k]
            key = _yscalar(k)
            if isinstance(val, dict) and val:
                out.append(f"{pad}{key}:")
                _yemit(val, ind + 2, out, sort)
            elif isinstance(val, list) and val:
                out.append(f"{pad}{key}:")
                _yemit(val, ind, out, sort)
            elif isinstance(val, dict):
                out.append(f"{pad}{key}: {{}}")
            elif isinstance(val, list):
                out.append(f"{pad}{key}: []")
            elif _is_block(val):
                out.append(f"{pad}{key}: " + _block(val, ind + 2))
            else:
                out.append(f"{pad}{key}: {_yscalar(val)}")
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and item:
                sub = []
                _yemit(item, ind + 2, sub, sort)
                sub[0] = pad + "- " + sub[0][ind + 2:]
                out.extend(sub)
            elif isinstance(item, list) and item:
                sub = []
                _yemit(item, ind + 2, sub, sort)
                sub[0] = pad + "- " + sub[0][ind + 2:]
                out.extend(sub)
            elif _is_block(item):
                out.append(pad + "- " + _block(item, ind + 2))
            else:
                out.append(pad + "- " + ("{}" if item == {} else "[]" if item == [] else _yscalar(item)))
    else:
        out.append(pad + _yscalar(v))


def to_yaml(v, sort=True):
    out = []
    _yemit(v, 0, out, sort)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# PKI


def rsa_key(bits):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve):
    return ec.generate_private_key(curve)


def dn(cn, o="Acme Corp", l=None):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if l:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, l))
    return x509.Name(attrs)


def make_cert(subject, key, issuer_cert, issuer_key, nb, na, *, ca, pathlen=None, ku=None, san=None,
              eku=None, digest=hashes.SHA256()):
    pub = key.public_key()
    b = (x509.CertificateBuilder().subject_name(subject).public_key(pub)
         .serial_number(x509.random_serial_number())
         .not_valid_before(T(nb)).not_valid_after(T(na)))
    b = b.issuer_name(issuer_cert.subject if issuer_cert else subject)
    b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
    ku = ku or {}
    b = b.add_extension(x509.KeyUsage(
        digital_signature=ku.get("ds", False), content_commitment=False,
        key_encipherment=ku.get("ke", False), data_encipherment=False, key_agreement=False,
        key_cert_sign=ku.get("cert", False), crl_sign=ku.get("crl", False),
        encipher_only=False, decipher_only=False), critical=True)
    ski = x509.SubjectKeyIdentifier.from_public_key(pub)
    b = b.add_extension(ski, critical=False)
    if issuer_cert is not None:
        iski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(iski), critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in san]), critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(issuer_key or key, digest)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key, fmt):
    f = {"pkcs8": serialization.PrivateFormat.PKCS8,
         "sec1": serialization.PrivateFormat.TraditionalOpenSSL,
         "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL}[fmt]
    return key.private_bytes(serialization.Encoding.PEM, f, serialization.NoEncryption()).decode()


CA_KU = {"cert": True, "crl": True}


def build_pki():
    p = {}
    old_k = rsa_key(4096)
    old = make_cert(dn("Acme Mesh Root CA 2021"), old_k, None, None, "2021-06-01T00:00:00Z",
                    "2031-05-30T00:00:00Z", ca=True, ku=CA_KU)
    new_k = ec_key(ec.SECP384R1())
    new = make_cert(dn("Acme Mesh Root CA 2026"), new_k, None, None, "2026-10-01T00:00:00Z",
                    "2036-09-28T00:00:00Z", ca=True, ku=CA_KU, digest=hashes.SHA384())
    p["old_root"], p["new_root"] = old, new
    p["bundle"] = pem(old) + pem(new)
    spec = {
        "eu-central-1": (new, new_k, lambda: ec_key(ec.SECP256R1()), "2026-10-15T00:00:00Z", "2027-10-15T00:00:00Z", "sec1", hashes.SHA384()),
        "eu-west-1": (new, new_k, lambda: ec_key(ec.SECP256R1()), "2026-10-15T00:00:00Z", "2027-10-15T00:00:00Z", "pkcs8", hashes.SHA384()),
        "us-east-1": (old, old_k, lambda: rsa_key(2048), "2024-12-20T00:00:00Z", "2026-12-20T00:00:00Z", "pkcs1", hashes.SHA256()),
        "ap-south-1": (old, old_k, lambda: rsa_key(1024), "2026-08-30T00:00:00Z", "2028-08-29T00:00:00Z", "pkcs8", hashes.SHA256()),
    }
    p["intermediate"] = {}
    for c, (root, root_k, gen, nb, na, fmt, dig) in spec.items():
        k = gen()
        cert = make_cert(dn("Intermediate CA", l=c), k, root, root_k, nb, na, ca=True, pathlen=0,
                         ku={"cert": True}, san=["istiod.istio-system.svc"], digest=dig)
        p["intermediate"][c] = {"cert": pem(cert), "key": key_pem(k, fmt), "chain": pem(cert) + pem(root),
                                "root": root}
    # per-cluster API-server CA (kubeadm style) and service-account issuer key (never dumped)
    p["apiserver_ca"], p["sa_key"] = {}, {}
    for c, nb in [("eu-central-1", "2026-05-28T06:41:12Z"), ("eu-west-1", "2026-05-28T07:02:45Z"),
                  ("us-east-1", "2026-05-29T15:10:03Z"), ("ap-south-1", "2026-08-30T05:48:19Z"),
                  ("us-west-2", "2026-05-29T16:22:37Z")]:
        k = rsa_key(2048)
        na = ts(T(nb).replace(year=T(nb).year + 10) - dt.timedelta(days=2))
        cert = make_cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")]), k, None, None,
                         nb, na, ca=True, ku={"cert": True, "ds": True, "ke": True})
        p["apiserver_ca"][c] = pem(cert)
        p["sa_key"][c] = rsa_key(2048)
    # Gloo relay PKI (mgmt)
    rr_k = ec_key(ec.SECP256R1())
    rr = make_cert(dn("Acme Gloo Relay Root CA", o="Acme Corp"), rr_k, None, None, "2026-05-30T08:10:00Z",
                   "2031-05-29T08:10:00Z", ca=True, ku=CA_KU)
    sg_k = ec_key(ec.SECP256R1())
    sg = make_cert(dn("relay-tls-signing-cert"), sg_k, rr, rr_k, "2026-05-30T08:10:00Z",
                   "2029-05-29T08:10:00Z", ca=True, pathlen=0, ku=CA_KU)
    sv_k = ec_key(ec.SECP256R1())
    sv = make_cert(dn("gloo-mesh-mgmt-server"), sv_k, rr, rr_k, "2026-05-30T08:10:00Z", "2028-05-29T08:10:00Z",
                   ca=False, ku={"ds": True, "ke": True},
                   san=["gloo-mesh-mgmt-server", "gloo-mesh-mgmt-server.gloo-mesh",
                        "gloo-mesh-mgmt-server.gloo-mesh.svc", "mgmt.relay.acme.internal"],
                   eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    p["relay"] = {"root": pem(rr), "root_key": key_pem(rr_k, "sec1"), "signing": pem(sg),
                  "signing_key": key_pem(sg_k, "sec1"), "server": pem(sv), "server_key": key_pem(sv_k, "sec1"),
                  "client": {}}
    for c in WORKLOAD:
        k = ec_key(ec.SECP256R1())
        cert = make_cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, c)]), k, sg, sg_k,
                         "2026-11-15T00:00:00Z", "2028-02-15T00:00:00Z", ca=False, ku={"ds": True, "ke": True},
                         san=[c], eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
        p["relay"]["client"][c] = {"cert": pem(cert) + pem(sg), "key": key_pem(k, "sec1")}
    return p


# ---------------------------------------------------------------------------------------------
# service-account tokens (RS256 JWT, signed with the target cluster's SA issuer key)


def jwt(sa_key, claims):
    der = sa_key.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "RS256", "kid": b64url(hashlib.sha256(der).digest())}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()))
    sig = sa_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


def bound_token(pki, target, iat, exp):
    i, e = int(T(iat).timestamp()), int(T(exp).timestamp())
    claims = {"aud": [SA_ISSUER], "exp": e, "iat": i, "iss": SA_ISSUER, "nbf": i,
              "jti": uid("jti", target, iat),
              "kubernetes.io": {"namespace": "istio-system",
                                "serviceaccount": {"name": READER_SA,
                                                   "uid": uid(target, "ServiceAccount", "istio-system", READER_SA)}},
              "sub": f"system:serviceaccount:istio-system:{READER_SA}"}
    return jwt(pki["sa_key"][target], claims)


LEGACY_SECRET = "istio-reader-service-account-istio-remote-secret-token"


def legacy_token(pki, target):
    claims = {"iss": "kubernetes/serviceaccount",
              "kubernetes.io/serviceaccount/namespace": "istio-system",
              "kubernetes.io/serviceaccount/secret.name": LEGACY_SECRET,
              "kubernetes.io/serviceaccount/service-account.name": READER_SA,
              "kubernetes.io/serviceaccount/service-account.uid": uid(target, "ServiceAccount", "istio-system", READER_SA),
              "sub": f"system:serviceaccount:istio-system:{READER_SA}"}
    return jwt(pki["sa_key"][target], claims)


def kubeconfig(pki, target, token, insecure=False):
    cluster = {"server": f"https://{target}.k8s.acme.internal:6443"}
    if insecure:
        cluster["insecure-skip-tls-verify"] = True
    else:
        cluster["certificate-authority-data"] = b64(pki["apiserver_ca"][target])
    return to_yaml({"apiVersion": "v1", "kind": "Config", "preferences": {},
                    "clusters": [{"cluster": cluster, "name": target}],
                    "contexts": [{"context": {"cluster": target, "user": target}, "name": target}],
                    "current-context": target,
                    "users": [{"name": target, "user": {"token": token}}]})


# ---------------------------------------------------------------------------------------------
# Kubernetes object builders

HELM = {"app.kubernetes.io/managed-by": "Helm"}


def helm(release, ns, extra=None):
    labels = dict(HELM)
    labels.update({"app.kubernetes.io/instance": release})
    labels.update(extra or {})
    return labels, {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}


def obj(cluster, api, kind, name, ns=None, created=None, labels=None, annotations=None, managed=None, **rest):
    md = {"name": name, "uid": uid(cluster, kind, ns or "", name), "resourceVersion": rv()}
    if ns:
        md["namespace"] = ns
    if created:
        md["creationTimestamp"] = created
    if labels:
        md["labels"] = labels
    if annotations:
        md["annotations"] = annotations
    if managed:
        md["managedFields"] = managed
    o = {"apiVersion": api, "kind": kind, "metadata": md}
    o.update(rest)
    return o


def mf(manager, op, time, api, fields):
    return {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": fields, "manager": manager,
            "operation": op, "time": time}


def last_applied(o):
    """kubectl.kubernetes.io/last-applied-configuration as kubectl writes it (compact JSON)."""
    return json.dumps(o, separators=(",", ":"), sort_keys=True) + "\n"


def secret(cluster, name, ns, created, data, typ="Opaque", labels=None, annotations=None, managed=None):
    return obj(cluster, "v1", "Secret", name, ns, created, labels, annotations, managed,
               type=typ, data={k: b64(v) for k, v in data.items()})


def configmap(cluster, name, ns, created, data, labels=None, annotations=None):
    return obj(cluster, "v1", "ConfigMap", name, ns, created, labels, annotations, data=data)


def namespace(cluster, name, created, labels=None):
    lab = {"kubernetes.io/metadata.name": name}
    lab.update(labels or {})
    return obj(cluster, "v1", "Namespace", name, None, created, lab, spec={"finalizers": ["kubernetes"]},
               status={"phase": "Active"})


def sa(cluster, name, ns, created, labels=None, annotations=None):
    return obj(cluster, "v1", "ServiceAccount", name, ns, created, labels, annotations)


RBAC = "rbac.authorization.k8s.io/v1"


def crole(cluster, name, created, rules, labels=None, annotations=None, kind="ClusterRole", ns=None, managed=None):
    return obj(cluster, RBAC, kind, name, ns, created, labels, annotations, managed, rules=rules)


def rbinding(cluster, name, created, role, subjects, labels=None, annotations=None, kind="ClusterRoleBinding",
             ns=None, role_kind="ClusterRole", managed=None):
    return obj(cluster, RBAC, kind, name, ns, created, labels, annotations, managed,
               roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
               subjects=subjects)


def subj(kind, name, ns=None):
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": ns}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def deployment(cluster, name, ns, created, image, sa_name="default", replicas=2, labels=None, annotations=None):
    lab = {"app": name}
    lab.update(labels or {})
    return obj(cluster, "apps/v1", "Deployment", name, ns, created, lab, annotations,
               spec={"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"serviceAccountName": sa_name,
                                           "containers": [{"name": name, "image": image,
                                                           "ports": [{"containerPort": 8080}]}]}}},
               status={"availableReplicas": replicas, "readyReplicas": replicas, "replicas": replicas,
                       "observedGeneration": 1})


def pod(cluster, name, ns, created, app, image, node):
    return obj(cluster, "v1", "Pod", name, ns, created, {"app": app, "pod-template-hash": name.split("-")[-2]},
               spec={"containers": [{"name": app, "image": image}], "nodeName": node,
                     "serviceAccountName": app},
               status={"phase": "Running", "startTime": created})


def service(cluster, name, ns, created, port=8080):
    return obj(cluster, "v1", "Service", name, ns, created, {"app": name},
               spec={"selector": {"app": name}, "type": "ClusterIP",
                     "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": 8080}]})


# ---------------------------------------------------------------------------------------------
# writers


def write_text(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def emit(root, rel, objs, fmt):
    """Write objs under root/rel in one of the shapes real users produce."""
    lst = {"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}}
    if fmt == "list-yaml":
        write_text(os.path.join(root, rel + ".yaml"), to_yaml(lst))
    elif fmt == "list-json":
        write_text(os.path.join(root, rel + ".json"), json.dumps(lst, indent=4) + "\n")
    elif fmt == "multi":
        write_text(os.path.join(root, rel + ".yaml"), "".join("---\n" + to_yaml(o) for o in objs))
    elif fmt in ("yaml", "json"):
        for o in objs:
            md = o["metadata"]
            fname = o["kind"].lower() + "-" + (md["namespace"] + "-" if md.get("namespace") else "") + md["name"]
            fname = fname.replace(":", "_")
            path = os.path.join(root, rel, fname + "." + fmt)
            write_text(path, to_yaml(o) if fmt == "yaml" else json.dumps(o, indent=4) + "\n")
    else:
        raise ValueError(fmt)


def copy_bootstrap_rbac(root):
    src = FIXTURES
    dst = os.path.join(root, "rbac", "bootstrap")
    os.makedirs(dst, exist_ok=True)
    for f in sorted(os.listdir(src)):
        shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))


# ---------------------------------------------------------------------------------------------
# scenario timeline

REG = {"eu-central-1": "2026-06-02T09:14:03Z", "eu-west-1": "2026-06-02T09:31:40Z",
       "us-east-1": "2026-06-03T14:02:11Z", "us-west-2": "2026-06-03T14:20:00Z",
       "ap-south-1": "2026-08-31T10:05:00Z"}
BOOT = {"eu-central-1": "2026-05-28T06:45:00Z", "eu-west-1": "2026-05-28T07:05:00Z",
        "us-east-1": "2026-05-29T15:12:00Z", "ap-south-1": "2026-08-30T05:50:00Z"}
ISTIO = {"eu-central-1": "2026-06-02T08:30:00Z", "eu-west-1": "2026-06-02T08:52:00Z",
         "us-east-1": "2026-06-03T13:30:00Z", "ap-south-1": "2026-08-31T08:00:00Z"}
APPS = {"eu-central-1": "2026-06-04T10:00:00Z", "eu-west-1": "2026-06-04T10:20:00Z",
        "us-east-1": "2026-06-04T10:40:00Z", "ap-south-1": "2026-08-31T12:00:00Z"}


def plus(s, **kw):
    return ts(T(s) + dt.timedelta(**kw))


def pair_time(a, b):
    return plus(max(REG[a], REG[b]), minutes=10)


CLEAN = ("bound", "2026-10-01T08:00:00Z", "2027-03-30T08:00:00Z")
# (holder, target) -> (kind, iat, exp[, "insecure"])   -- README "remote secrets" table
TOKENS = {
    ("eu-central-1", "eu-west-1"): ("bound", "2026-11-20T00:00:00Z", "2026-12-20T00:00:00Z"),   # FRESH
    ("eu-central-1", "us-east-1"): CLEAN,
    ("eu-central-1", "ap-south-1"): CLEAN,
    ("eu-central-1", "us-west-2"): ("bound", "2026-09-10T00:00:00Z", "2027-03-09T00:00:00Z"),   # ORPHAN
    ("eu-west-1", "eu-central-1"): CLEAN,
    ("eu-west-1", "us-east-1"): ("bound", "2026-06-03T14:10:00Z", "2027-06-03T14:10:00Z"),      # OLD
    ("eu-west-1", "ap-south-1"): CLEAN + ("insecure",),                                       # INSECURE TLS
    ("us-east-1", "eu-central-1"): ("legacy", None, None),                                    # LEGACY
    ("us-east-1", "eu-west-1"): CLEAN,
    ("us-east-1", "ap-south-1"): CLEAN,
    ("ap-south-1", "eu-central-1"): CLEAN,
    ("ap-south-1", "eu-west-1"): ("bound", "2026-09-01T00:00:00Z", "2026-11-01T00:00:00Z"),     # EXPIRED
    # ("ap-south-1", "us-east-1") deliberately absent: ASYMMETRIC
}
PEER_GATEWAYS = {h: [t for t in WORKLOAD if t != h and not (h == "ap-south-1" and t == "us-east-1")]
                 for h in WORKLOAD}
LEGACY_TOKEN_CREATED = "2026-06-02T09:40:00Z"

MESH_CONFIG = """accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  meshId: acme-mesh
  proxyMetadata:
    ISTIO_META_DNS_CAPTURE: "true"
defaultProviders:
  metrics:
  - prometheus
enablePrometheusMerge: true
rootNamespace: istio-system
trustDomain: acme.internal
"""

BILLING_SPEC = {"selector": {"matchLabels": {"app": "billing"}}, "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": [f"{TRUST_DOMAIN}/ns/checkout/sa/checkout"]}}],
                           "to": [{"operation": {"ports": ["8080"]}}]}]}
BILLING_SPEC_DRIFTED = {"selector": {"matchLabels": {"app": "billing"}}, "action": "ALLOW",
                        "rules": [{"from": [{"source": {"principals": ["*"]}}],
                                   "to": [{"operation": {"ports": ["8080"]}}]}]}
CHECKOUT_SPEC = {"selector": {"matchLabels": {"app": "checkout"}}, "action": "ALLOW",
                 "rules": [{"from": [{"source": {"principals": [f"{TRUST_DOMAIN}/ns/frontend/sa/frontend"]}}]}]}
LEDGER_SPEC = {"selector": {"matchLabels": {"app": "ledger"}}, "action": "ALLOW",
               "rules": [{"from": [{"source": {"principals": [f"{TRUST_DOMAIN}/ns/payments/sa/billing"]}}],
                          "to": [{"operation": {"methods": ["GET", "POST"]}}]}]}
ARGO_APP = "mesh-policies"

ISTIO_GROUPS = ["config.istio.io", "security.istio.io", "networking.istio.io", "authentication.istio.io",
                "rbac.istio.io", "telemetry.istio.io", "extensions.istio.io"]
READER_RULES = [
    {"apiGroups": ISTIO_GROUPS, "resources": ["*"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["endpoints", "pods", "services", "nodes", "replicationcontrollers",
                                      "namespaces", "secrets", "configmaps"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["networking.x-k8s.io", "gateway.networking.k8s.io"], "resources": ["gateways"],
     "verbs": ["get", "watch", "list"]},
    {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["multicluster.x-k8s.io"], "resources": ["serviceexports"],
     "verbs": ["get", "list", "watch", "create", "delete"]},
    {"apiGroups": ["multicluster.x-k8s.io"], "resources": ["serviceimports"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
    {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]},
]
ISTIOD_RULES = [
    {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations",
                                                                   "validatingwebhookconfigurations"],
     "verbs": ["get", "list", "watch", "update", "patch"]},
    {"apiGroups": ISTIO_GROUPS, "resources": ["*"], "verbs": ["get", "watch", "list"]},
    {"apiGroups": ["networking.istio.io"], "resources": ["workloadentries", "workloadentries/status",
                                                          "serviceentries/status"],
     "verbs": ["get", "watch", "list", "update", "patch", "create", "delete"]},
    {"apiGroups": ["security.istio.io"], "resources": ["authorizationpolicies/status"],
     "verbs": ["get", "watch", "list", "update", "patch", "create", "delete"]},
    {"apiGroups": [""], "resources": ["pods", "nodes", "services", "namespaces", "endpoints"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gateways", "gateways/status", "httproutes",
                                                                "grpcroutes", "tcproutes", "tlsroutes",
                                                                "referencegrants", "gatewayclasses"],
     "verbs": ["get", "watch", "list", "update", "patch"]},
    {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
    {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]},
    {"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests",
                                                          "certificatesigningrequests/approval",
                                                          "certificatesigningrequests/status"],
     "verbs": ["update", "create", "get", "delete", "watch"]},
]
ISTIOD_NS_RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "get", "list", "watch", "update", "delete"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]},
]
AGENT_RULES = [
    {"apiGroups": ["networking.istio.io", "security.istio.io"],
     "resources": ["destinationrules", "serviceentries", "authorizationpolicies", "peerauthentications",
                   "workloadentries"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": [""], "resources": ["pods", "services", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["get", "list", "watch"]},
]


def remote_secret(pki, holder, target, spec):
    kind, iat, exp = spec[:3]
    insecure = len(spec) > 3
    token = legacy_token(pki, target) if kind == "legacy" else bound_token(pki, target, iat, exp)
    kc = kubeconfig(pki, target, token, insecure=insecure)
    created = pair_time(holder, target)
    labels = {"istio/multiCluster": "true"}
    ann = {"networking.istio.io/cluster": target}
    if (holder, target) == ("eu-west-1", "us-east-1"):
        ann["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"annotations": {"networking.istio.io/cluster": target}, "creationTimestamp": None,
                          "labels": labels, "name": f"istio-remote-secret-{target}",
                          "namespace": "istio-system"},
             "stringData": {target: kc}})
    upd = iat if kind == "bound" else created
    managed = [mf("kubectl-client-side-apply", "Update", max(created, upd), "v1",
                  {"f:data": {".": {}, f"f:{target}": {}},
                   "f:metadata": {"f:annotations": {".": {}, "f:networking.istio.io/cluster": {}},
                                  "f:labels": {".": {}, "f:istio/multiCluster": {}}},
                   "f:type": {}})]
    return secret(holder, f"istio-remote-secret-{target}", "istio-system", created, {target: kc},
                  labels=labels, annotations=ann, managed=managed), token


def dump_workload(out, pki, c, idx):
    root = os.path.join(out, "mesh", c)
    boot, istio, reg, apps = BOOT[c], ISTIO[c], REG[c], APPS[c]
    istio_helm_base = helm("istio-base", "istio-system")
    istiod_helm = helm("istiod", "istio-system", {"app": "istiod", "istio.io/rev": "default"})
    agent_helm = helm("gloo-platform", "gloo-mesh")
    argo_labels = {"app.kubernetes.io/instance": ARGO_APP}
    fmt = lambda *opts: opts[idx % len(opts)]

    # namespaces
    nss = [namespace(c, "kube-system", boot), namespace(c, "default", boot),
           namespace(c, "kube-public", boot), namespace(c, "kube-node-lease", boot),
           namespace(c, "istio-system", plus(istio, minutes=-10), {"topology.istio.io/network": c}),
           namespace(c, "istio-eastwest", plus(istio, minutes=20)),
           namespace(c, "gloo-mesh", plus(reg, minutes=1)),
           namespace(c, "payments", apps, {"istio.io/dataplane-mode": "ambient"}),
           namespace(c, "checkout", plus(apps, minutes=1), {"istio.io/dataplane-mode": "ambient"})]
    emit(root, "namespaces", nss, fmt("list-yaml", "list-json", "multi", "list-yaml"))

    # istio-system config maps and CA material
    mesh = MESH_CONFIG if c != "us-east-1" else MESH_CONFIG.replace("trustDomain: acme.internal\n", "")
    cms = [configmap(c, "istio", "istio-system", plus(istio, minutes=2), {"mesh": mesh, "meshNetworks": "networks: {}"},
                     *istiod_helm, ),
           configmap(c, "istio-ca-root-cert", "istio-system", plus(istio, minutes=3),
                     {"root-cert.pem": pki["bundle"]}, {"istio.io/config": "true"})]
    cms_other = [configmap(c, "istio-ca-root-cert", ns, plus(apps, minutes=2), {"root-cert.pem": pki["bundle"]},
                           {"istio.io/config": "true"}) for ns in ("payments", "checkout")]
    emit(root, "istio-system/configmaps", cms, fmt("list-yaml", "multi", "list-json", "list-yaml"))
    inter = pki["intermediate"][c]
    cacerts_created = plus(istio, minutes=-5)
    cacerts_updated = "2026-10-15T09:00:00Z" if c in ("eu-central-1", "eu-west-1") else cacerts_created
    cacerts = secret(c, "cacerts", "istio-system", cacerts_created,
                     {"ca-cert.pem": inter["cert"], "ca-key.pem": inter["key"], "cert-chain.pem": inter["chain"],
                      "root-cert.pem": pki["bundle"]},
                     managed=[mf("kubectl-create", "Update", cacerts_created, "v1",
                                 {"f:data": {".": {}, "f:ca-cert.pem": {}, "f:ca-key.pem": {}, "f:cert-chain.pem": {},
                                             "f:root-cert.pem": {}}, "f:type": {}}),
                              mf("kubectl-edit", "Update", "2026-10-01T10:30:00Z", "v1",
                                 {"f:data": {"f:root-cert.pem": {}}}),
                              ] + ([mf("kubectl-edit", "Update", cacerts_updated, "v1",
                                       {"f:data": {"f:ca-cert.pem": {}, "f:ca-key.pem": {}, "f:cert-chain.pem": {}}})]
                                   if cacerts_updated != cacerts_created else []))
    emit(root, "istio-system/cacerts", [cacerts], fmt("yaml", "json", "yaml", "json"))

    # remote secrets
    rs = []
    for (h, t), spec in TOKENS.items():
        if h == c:
            rs.append(remote_secret(pki, h, t, spec)[0])
    emit(root, "istio-system/remote-secrets", rs, fmt("list-json", "list-yaml", "multi", "list-json"))
    extra_secrets = []
    if c == "eu-central-1":
        tok = legacy_token(pki, c)
        extra_secrets.append(secret(c, LEGACY_SECRET, "istio-system", LEGACY_TOKEN_CREATED,
                                    {"ca.crt": pki["apiserver_ca"][c], "namespace": "istio-system", "token": tok},
                                    typ="kubernetes.io/service-account-token",
                                    annotations={"kubernetes.io/service-account.name": READER_SA,
                                                 "kubernetes.io/service-account.uid": uid(c, "ServiceAccount", "istio-system", READER_SA)}))
    if extra_secrets:
        emit(root, "istio-system/token-secret", extra_secrets, "yaml")

    # service accounts
    sas = [sa(c, READER_SA, "istio-system", plus(istio, minutes=1), *istio_helm_base),
           sa(c, "istiod", "istio-system", plus(istio, minutes=2), *istiod_helm),
           sa(c, "istio-eastwest", "istio-eastwest", plus(istio, minutes=20)),
           sa(c, "gloo-mesh-agent", "gloo-mesh", plus(reg, minutes=3), *agent_helm),
           sa(c, "billing", "payments", apps), sa(c, "ledger", "payments", apps),
           sa(c, "checkout", "checkout", plus(apps, minutes=1))]
    emit(root, "serviceaccounts", sas, fmt("list-yaml", "list-json"))

    # gloo-mesh agent secrets
    rc = pki["relay"]["client"][c]
    tok_ann = {}
    if c == "eu-central-1":
        tok_ann = {"kubectl.kubernetes.io/last-applied-configuration": last_applied(
            {"apiVersion": "v1", "data": {"token": b64(RELAY_TOKEN)}, "kind": "Secret",
             "metadata": {"annotations": {}, "name": "relay-identity-token-secret", "namespace": "gloo-mesh"},
             "type": "Opaque"})}
    gs = [secret(c, "relay-root-tls-secret", "gloo-mesh", plus(reg, minutes=1, seconds=20),
                 {"ca.crt": pki["relay"]["root"]}),
          secret(c, "relay-identity-token-secret", "gloo-mesh", plus(reg, minutes=1, seconds=25),
                 {"token": RELAY_TOKEN}, annotations=tok_ann or None),
          secret(c, "relay-client-tls-secret", "gloo-mesh", plus(reg, minutes=4),
                 {"ca.crt": pki["relay"]["root"], "tls.crt": rc["cert"], "tls.key": rc["key"]},
                 labels={"reconciler.mesh.gloo.solo.io/name": "relay-cert-agent"})]
    emit(root, "gloo-mesh/secrets", gs, fmt("multi", "list-yaml", "list-json", "multi"))

    # gateways
    gws = [obj(c, "gateway.networking.k8s.io/v1", "Gateway", "istio-eastwest", "istio-eastwest",
               plus(istio, minutes=21),
               {"istio.io/expose-istiod": "15012", "topology.istio.io/network": c, "topology.istio.io/cluster": c},
               {"peering.solo.io/data-plane-service-type": "loadbalancer"},
               spec={"gatewayClassName": "istio-eastwest",
                     "listeners": [{"name": "cross-network", "port": 15008, "protocol": "HBONE",
                                    "tls": {"mode": "Passthrough"}},
                                   {"name": "xds-tls", "port": 15012, "protocol": "TLS",
                                    "tls": {"mode": "Passthrough"}}]},
               status={"addresses": [{"type": "IPAddress", "value": EW_IP[c]}]})]
    for p in PEER_GATEWAYS[c]:
        gws.append(obj(c, "gateway.networking.k8s.io/v1", "Gateway", f"istio-remote-peer-{p}", "istio-eastwest",
                       pair_time(c, p),
                       {"topology.istio.io/network": p, "topology.istio.io/cluster": p,
                        "topology.kubernetes.io/region": p},
                       {"gateway.istio.io/trust-domain": TRUST_DOMAIN,
                        "gateway.istio.io/service-account": "istio-eastwest"},
                       spec={"gatewayClassName": "istio-remote",
                             "addresses": [{"type": "IPAddress", "value": EW_IP[p]}],
                             "listeners": [{"name": "cross-network", "port": 15008, "protocol": "HBONE",
                                            "tls": {"mode": "Passthrough"}},
                                           {"name": "xds-tls", "port": 15012, "protocol": "TLS",
                                            "tls": {"mode": "Passthrough"}}]}))
    emit(root, "istio-eastwest/gateways", gws, fmt("multi", "list-json", "list-yaml", "multi"))

    # Istio security policies
    pas = [obj(c, "security.istio.io/v1", "PeerAuthentication", "default", "istio-system", plus(istio, minutes=30),
               argo_labels, spec={"mtls": {"mode": "STRICT"}})]
    if c == "ap-south-1":
        pas.append(obj(c, "security.istio.io/v1", "PeerAuthentication", "default", "payments",
                       "2026-09-02T07:14:51Z", argo_labels, spec={"mtls": {"mode": "PERMISSIVE"}}))
    emit(root, "policies/peerauthentications", pas, fmt("json", "yaml", "list-yaml", "yaml"))
    billing_mf = [mf("argocd-controller", "Apply", plus(apps, minutes=5), "security.istio.io/v1",
                     {"f:spec": {"f:action": {}, "f:rules": {}, "f:selector": {}}})]
    if c == "us-east-1":
        billing_mf.append(mf("argocd-controller", "Apply", "2026-10-20T08:01:44Z", "security.istio.io/v1",
                             {"f:spec": {"f:rules": {}}}))
    aps_ = [obj(c, "security.istio.io/v1", "AuthorizationPolicy", "billing-allow-payments", "payments",
                plus(apps, minutes=5), argo_labels, managed=billing_mf,
                spec=BILLING_SPEC_DRIFTED if c == "us-east-1" else BILLING_SPEC),
            obj(c, "security.istio.io/v1", "AuthorizationPolicy", "checkout-allow-frontend", "checkout",
                plus(apps, minutes=5), argo_labels, spec=CHECKOUT_SPEC)]
    if c != "ap-south-1":
        aps_.append(obj(c, "security.istio.io/v1", "AuthorizationPolicy", "ledger-access", "payments",
                        max(plus(apps, minutes=7), "2026-06-04T11:20:31Z"),
                        {"gloo.solo.io/parent_cluster": "mgmt", "gloo.solo.io/parent_group": "security.policy.gloo.solo.io",
                         "gloo.solo.io/parent_kind": "AccessPolicy", "gloo.solo.io/parent_name": "ledger-access",
                         "gloo.solo.io/parent_namespace": "payments", "gloo.solo.io/parent_version": "v2",
                         "context.mesh.gloo.solo.io/cluster": c, "context.mesh.gloo.solo.io/namespace": "payments",
                         "context.mesh.gloo.solo.io/workspace": "payments", "agent.gloo.solo.io": "gloo-mesh",
                         "owner.gloo.solo.io/name": "gloo-mesh", "relay.solo.io/cluster": c,
                         "reconciler.mesh.gloo.solo.io/name": "translator"},
                        managed=[mf("gloo-mesh-agent", "Update", "2026-09-22T09:45:14Z", "security.istio.io/v1",
                                    {"f:metadata": {"f:labels": {}}, "f:spec": {}})],
                        spec=LEDGER_SPEC))
    emit(root, "policies/authorizationpolicies", aps_, fmt("list-yaml", "list-json", "list-yaml", "list-json"))
    dr = [obj(c, "networking.istio.io/v1", "DestinationRule", "ledger", "payments", plus(apps, minutes=6), argo_labels,
              spec={"host": "ledger.payments.svc.cluster.local",
                    "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 200}},
                                      "outlierDetection": {"consecutive5xxErrors": 5, "interval": "30s",
                                                           "baseEjectionTime": "60s"}}}),
          obj(c, "networking.istio.io/v1", "ServiceEntry", "card-network-api", "payments", plus(apps, minutes=6),
              argo_labels,
              spec={"hosts": ["api.cardnetwork.example.com"], "location": "MESH_EXTERNAL", "resolution": "DNS",
                    "ports": [{"name": "https", "number": 443, "protocol": "TLS"}]})]
    emit(root, "networking/traffic", dr, "multi")

    # RBAC
    copy_bootstrap_rbac(root)
    mesh_rbac = [
        crole(c, "istio-reader-clusterrole-istio-system", plus(istio, minutes=1), READER_RULES,
              *helm("istiod", "istio-system", {"app": "istio-reader", "release": "istiod"})),
        rbinding(c, "istio-reader-clusterrole-istio-system", plus(istio, minutes=1),
                 "istio-reader-clusterrole-istio-system", [subj("ServiceAccount", READER_SA, "istio-system")],
                 *helm("istiod", "istio-system", {"app": "istio-reader", "release": "istiod"})),
        crole(c, "istiod-clusterrole-istio-system", plus(istio, minutes=2), ISTIOD_RULES, *istiod_helm),
        rbinding(c, "istiod-clusterrole-istio-system", plus(istio, minutes=2), "istiod-clusterrole-istio-system",
                 [subj("ServiceAccount", "istiod", "istio-system")], *istiod_helm),
        crole(c, "istiod", plus(istio, minutes=2), ISTIOD_NS_RULES, *istiod_helm, kind="Role", ns="istio-system"),
        rbinding(c, "istiod", plus(istio, minutes=2), "istiod", [subj("ServiceAccount", "istiod", "istio-system")],
                 *istiod_helm, kind="RoleBinding", ns="istio-system", role_kind="Role"),
        crole(c, "gloo-mesh-agent", plus(reg, minutes=3), AGENT_RULES, *agent_helm),
        rbinding(c, "gloo-mesh-agent", plus(reg, minutes=3), "gloo-mesh-agent",
                 [subj("ServiceAccount", "gloo-mesh-agent", "gloo-mesh")], *agent_helm),
    ]
    emit(root, "rbac/mesh", mesh_rbac, fmt("multi", "list-yaml", "multi", "list-json"))
    custom = []
    if c != "ap-south-1":
        custom.append(rbinding(c, "platform-oncall", max(plus(apps, minutes=9), "2026-06-10T10:12:00Z"), "view",
                               [subj("Group", "platform-oncall")], argo_labels))
    if c == "eu-central-1":
        custom.append(rbinding(c, "contractor-debug", "2026-10-05T13:22:10Z", "cluster-admin",
                               [subj("User", "carol.contractor@example.com")]))
    if c == "eu-west-1":
        custom.append(rbinding(c, "istio-reader-admin", "2026-07-14T20:03:00Z", "cluster-admin",
                               [subj("ServiceAccount", READER_SA, "istio-system")]))
    if c == "us-east-1":
        custom.append(crole(c, "secrets-reader", "2026-09-08T11:47:26Z",
                            [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
                            kind="Role", ns="istio-system"))
        custom.append(rbinding(c, "observability-secrets-reader", "2026-09-08T11:47:26Z", "secrets-reader",
                               [subj("Group", "observability")], kind="RoleBinding", ns="istio-system",
                               role_kind="Role"))
    emit(root, "rbac/custom", custom, fmt("list-yaml", "yaml", "list-json", "list-yaml"))

    # not evidence: workloads, services, app config, kube-system secrets
    node = f"ip-10-{20 + idx}-3-7.{c}.compute.internal"
    wl = [deployment(c, "billing", "payments", apps, "registry.acme.internal/payments/billing:4.12.0", "billing"),
          deployment(c, "ledger", "payments", apps, "registry.acme.internal/payments/ledger:2.3.1", "ledger"),
          deployment(c, "checkout", "checkout", plus(apps, minutes=1), "registry.acme.internal/shop/checkout:7.0.4",
                     "checkout", replicas=3),
          deployment(c, "istiod", "istio-system", plus(istio, minutes=2), "docker.io/istio/pilot:1.28.1-solo", "istiod")]
    pods = [pod(c, f"billing-6d9f7c5b8-{s}", "payments", "2026-11-28T03:12:40Z", "billing",
                "registry.acme.internal/payments/billing:4.12.0", node) for s in ("x7kq2", "p9wz4")]
    pods.append(pod(c, "ledger-7b8c9d6f5-m2n4q", "payments", "2026-11-27T22:01:09Z", "ledger",
                    "registry.acme.internal/payments/ledger:2.3.1", node))
    svcs = [service(c, "billing", "payments", apps), service(c, "ledger", "payments", apps),
            service(c, "checkout", "checkout", plus(apps, minutes=1))]
    emit(root, "workloads/deployments", wl, fmt("list-json", "list-yaml"))
    emit(root, "workloads/pods", pods, fmt("list-yaml", "list-json"))
    emit(root, "workloads/services", svcs, "multi")
    app_cms = [configmap(c, "billing-config", "payments", apps, {"LOG_LEVEL": "info", "CURRENCY": "EUR,USD,INR"}),
               configmap(c, "kube-root-ca.crt", "payments", apps, {"ca.crt": pki["apiserver_ca"][c]})] + cms_other
    emit(root, "workloads/configmaps", app_cms, "list-yaml")
    ks = [secret(c, "bootstrap-token-" + hashlib.sha1(c.encode()).hexdigest()[:6], "kube-system", boot,
                 {"token-id": hashlib.sha1(c.encode()).hexdigest()[:6],
                  "token-secret": hashlib.sha256(("bt" + c).encode()).hexdigest()[:16],
                  "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
                  "expiration": plus(boot, hours=24)}, typ="bootstrap.kubernetes.io/token"),
          secret(c, "cloud-controller-credentials", "kube-system", boot,
                 {"credentials": "[default]\naws_access_key_id = AKIAEXAMPLE0000000000\n"
                                 "aws_secret_access_key = EXAMPLE/not-a-real-key/0000000000000000\n"})]
    emit(root, "kube-system/secrets", ks, fmt("list-json", "list-yaml"))


# ---------------------------------------------------------------------------------------------
# management cluster

KC_API = "admin.gloo.solo.io/v2"
ARGO_TRACK = "mesh-registration:admin.gloo.solo.io/KubernetesCluster:gloo-mesh/ap-south-1"
RELAY_TOKEN_CREATED = "2026-05-30T08:12:37Z"
ACCESSPOLICY_CREATED = "2026-06-04T11:20:00Z"


def kubernetescluster_manifest(c):
    md = {"name": c, "namespace": "gloo-mesh", "labels": {"region": REGION[c], "env": "prod", "org": "acme"}}
    if c == "ap-south-1":
        md["labels"]["app.kubernetes.io/instance"] = "mesh-registration"
        md["annotations"] = {"argocd.argoproj.io/tracking-id": ARGO_TRACK}
    return {"apiVersion": KC_API, "kind": "KubernetesCluster", "metadata": md,
            "spec": {"clusterDomain": "cluster.local"}}


def accesspolicy_spec():
    return {"applyToWorkloads": [{"selector": {"labels": {"app": "ledger"}, "namespace": "payments"}}],
            "config": {"authn": {"tlsMode": "STRICT"},
                       "authzList": [{"allowedClients": [{"serviceAccountSelector": {"name": "billing",
                                                                                     "namespace": "payments"}}],
                                      "allowedMethods": ["GET", "POST"]}]}}


def dump_mgmt(out, pki):
    c = "mgmt"
    root = os.path.join(out, "mesh", c)
    boot = "2026-05-30T07:30:00Z"
    gm_helm = helm("gloo-platform", "gloo-mesh", {"app": "gloo-mesh-mgmt-server"})
    nss = [namespace(c, n, boot) for n in ("default", "kube-system", "kube-public", "kube-node-lease")]
    nss += [namespace(c, "gloo-mesh", "2026-05-30T08:05:00Z"), namespace(c, "argocd", "2026-05-30T07:50:00Z"),
            namespace(c, "payments", "2026-06-04T11:04:10Z")]
    emit(root, "namespaces", nss, "list-yaml")

    kcs = []
    for cl in WORKLOAD:
        m = kubernetescluster_manifest(cl)
        md = m["metadata"]
        o = obj(c, KC_API, "KubernetesCluster", cl, "gloo-mesh", REG[cl], md["labels"], md.get("annotations"),
                managed=[mf("argocd-controller" if cl == "ap-south-1" else "kubectl-client-side-apply",
                            "Update", REG[cl], KC_API, {"f:metadata": {"f:labels": {}}, "f:spec": {}}),
                         mf("gloo-mesh-mgmt-server", "Update", plus(REG[cl], seconds=2), KC_API, {"f:status": {}})],
                spec=m["spec"],
                status={"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 1},
                                   "workspaceConditions": {"ACCEPTED": 1}}})
        o["metadata"]["generation"] = 1
        kcs.append(o)
    emit(root, "gloo-mesh/kubernetesclusters", kcs, "list-json")

    ws = [obj(c, KC_API, "Workspace", "payments", "gloo-mesh", "2026-06-04T11:05:02Z", generation=None,
              spec={"workloadClusters": [{"name": "*", "namespaces": [{"name": "payments"}]}]},
              status={"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 1}},
                      "numSelectedClusters": 4, "numSelectedNamespaces": 4,
                      "workspaceSettings": {"name": "payments", "namespace": "payments", "cluster": "mgmt"}}),
          obj(c, KC_API, "WorkspaceSettings", "payments", "payments", "2026-06-04T11:06:19Z", generation=None,
              spec={"options": {"eastWestGateways": [{"selector": {"labels": {"istio.io/expose-istiod": "15012"}}}],
                                "serviceIsolation": {"enabled": False}}},
              status={"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 1}}})]
    for o in ws:
        del o["generation"]
        o["metadata"]["generation"] = 1
    emit(root, "gloo-mesh/workspaces", ws, "multi")
    ap = obj(c, "security.policy.gloo.solo.io/v2", "AccessPolicy", "ledger-access", "payments", ACCESSPOLICY_CREATED,
             {"app": "ledger"},
             managed=[mf("kubectl-client-side-apply", "Update", ACCESSPOLICY_CREATED, "security.policy.gloo.solo.io/v2",
                         {"f:spec": {}}),
                      mf("kubectl-patch", "Update", "2026-07-10T15:02:33Z", "security.policy.gloo.solo.io/v2",
                         {"f:spec": {"f:config": {"f:authzList": {}}}}),
                      mf("kubectl-replace", "Update", "2026-09-22T09:45:10Z", "security.policy.gloo.solo.io/v2",
                         {"f:spec": {}})],
             spec=accesspolicy_spec(),
             status={"common": {"State": {"approval": "ACCEPTED", "observedGeneration": 3},
                                "workspaceConditions": {"ACCEPTED": 1}},
                     "numAllowedServiceAccounts": 1, "numSelectedNamespaces": 4})
    ap["metadata"]["generation"] = 3
    emit(root, "payments/accesspolicy-ledger-access", [ap], "yaml")

    r = pki["relay"]
    gm_secret_labels = {"app": "gloo-mesh-mgmt-server"}
    secrets = [
        secret(c, "relay-root-tls-secret", "gloo-mesh", "2026-05-30T08:13:02Z",
               {"ca.crt": r["root"], "tls.key": r["root_key"]}, labels=gm_secret_labels),
        secret(c, "relay-tls-signing-secret", "gloo-mesh", "2026-05-30T08:13:02Z",
               {"ca.crt": r["root"], "tls.crt": r["signing"], "tls.key": r["signing_key"]}, labels=gm_secret_labels),
        secret(c, "relay-server-tls-secret", "gloo-mesh", "2026-05-30T08:13:03Z",
               {"ca.crt": r["root"], "tls.crt": r["server"], "tls.key": r["server_key"]}, labels=gm_secret_labels),
        secret(c, "relay-identity-token-secret", "gloo-mesh", RELAY_TOKEN_CREATED, {"token": RELAY_TOKEN},
               *helm("gloo-platform", "gloo-mesh")),
    ]
    secrets[3]["metadata"]["uid"] = uid("mgmt", "Secret", "gloo-mesh", "relay-identity-token-secret")
    emit(root, "gloo-mesh/secrets", secrets, "list-yaml")
    emit(root, "misc/secrets", [
        secret(c, "bootstrap-token-9k2m4x", "kube-system", boot,
               {"token-id": "9k2m4x", "token-secret": "3f8d2c7a1b9e4f60", "usage-bootstrap-authentication": "true"},
               typ="bootstrap.kubernetes.io/token"),
        secret(c, "argocd-repo-creds-gitops", "argocd", "2026-05-30T07:52:00Z",
               {"url": "https://git.acme.internal/platform/gitops.git", "password": "not-a-real-password-0000",
                "username": "argocd"}, labels={"argocd.argoproj.io/secret-type": "repo-creds"})], "list-json")

    # core Events (weak evidence: no user)
    evs = []
    for i, (reason, typ, msg, kind, name, comp, first, last, count) in enumerate([
        ("ClusterConnected", "Normal", "relay agent for cluster ap-south-1 connected", "KubernetesCluster",
         "ap-south-1", "gloo-mesh-mgmt-server", "2026-11-30T21:02:11Z", "2026-11-30T21:02:11Z", 1),
        ("TranslationSucceeded", "Normal", "translated AccessPolicy payments/ledger-access for 3 clusters",
         "KubernetesCluster", "eu-central-1", "gloo-mesh-mgmt-server", "2026-11-30T21:05:40Z", "2026-11-30T21:45:40Z", 9),
        ("Pulled", "Normal", 'Container image "gcr.io/gloo-mesh/gloo-mesh-mgmt-server:2.12.0" already present on machine',
         "Pod", "gloo-mesh-mgmt-server-6f7d9c8b4-qz2lk", "kubelet", "2026-11-30T21:30:12Z", "2026-11-30T21:30:12Z", 1),
        ("BackOff", "Warning", "Back-off restarting failed container gloo-mesh-ui",
         "Pod", "gloo-mesh-ui-7c5d8f9b6-t4r8w", "kubelet", "2026-11-30T21:31:00Z", "2026-11-30T21:52:18Z", 6),
    ]):
        involved = {"kind": kind, "namespace": "gloo-mesh", "name": name,
                    "uid": uid(c, kind, "gloo-mesh", name),
                    "apiVersion": KC_API if kind == "KubernetesCluster" else "v1"}
        evs.append(obj(c, "v1", "Event", f"{name}.{hashlib.sha1((name + reason).encode()).hexdigest()[:16]}",
                       "gloo-mesh", first, involvedObject=involved, reason=reason, message=msg, type=typ,
                       source=dict({"component": comp}, **({"host": "mgmt-pool-a-1"} if comp == "kubelet" else {})),
                       firstTimestamp=first, lastTimestamp=last, count=count,
                       reportingComponent=comp, reportingInstance=""))
    emit(root, "gloo-mesh/events", evs, "list-yaml")

    # RBAC: bootstrap, Helm-managed mgmt server, custom least-privilege grants
    copy_bootstrap_rbac(root)
    mgmt_rules = [
        {"apiGroups": ["admin.gloo.solo.io", "networking.gloo.solo.io", "security.policy.gloo.solo.io",
                       "resilience.policy.gloo.solo.io", "trafficcontrol.policy.gloo.solo.io"],
         "resources": ["kubernetesclusters", "workspaces", "workspacesettings", "roottrustpolicies",
                       "accesspolicies", "virtualdestinations", "routetables"],
         "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["admin.gloo.solo.io", "security.policy.gloo.solo.io"],
         "resources": ["kubernetesclusters/status", "workspaces/status", "workspacesettings/status",
                       "accesspolicies/status"], "verbs": ["get", "update", "patch"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "create", "update"]},
        {"apiGroups": [""], "resources": ["namespaces", "configmaps", "services"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
        {"apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"], "verbs": ["create"]},
    ]
    gm = [sa(c, "gloo-mesh-mgmt-server", "gloo-mesh", "2026-05-30T08:12:30Z", *gm_helm),
          crole(c, "gloo-mesh-mgmt-server-gloo-mesh", "2026-05-30T08:12:30Z", mgmt_rules, *gm_helm),
          rbinding(c, "gloo-mesh-mgmt-server-gloo-mesh", "2026-05-30T08:12:30Z", "gloo-mesh-mgmt-server-gloo-mesh",
                   [subj("ServiceAccount", "gloo-mesh-mgmt-server", "gloo-mesh")], *gm_helm)]
    emit(root, "rbac/gloo-mesh-mgmt-server", gm, "multi")
    reg_rules = [{"apiGroups": ["admin.gloo.solo.io"], "resources": ["kubernetesclusters", "workspaces",
                                                                     "workspacesettings"],
                  "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
                 {"apiGroups": ["security.policy.gloo.solo.io"], "resources": ["accesspolicies"],
                  "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}]
    custom = [crole(c, "gloo-mesh-registrar", "2026-05-30T08:30:00Z", reg_rules),
              rbinding(c, "gloo-mesh-registrars", "2026-05-30T08:30:00Z", "gloo-mesh-registrar",
                       [subj("Group", "platform-admins"),
                        subj("ServiceAccount", "argocd-application-controller", "argocd")],
                       managed=[mf("kubectl-create", "Update", "2026-05-30T08:30:00Z", RBAC, {"f:subjects": {}}),
                                mf("kubectl-edit", "Update", "2026-08-28T16:12:45Z", RBAC, {"f:subjects": {}})]),
              crole(c, "platform-rbac-editor", "2026-05-30T08:31:00Z",
                    [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings"],
                      "resourceNames": ["gloo-mesh-registrars"], "verbs": ["get", "update", "patch"]},
                     {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                      "resourceNames": ["gloo-mesh-registrar"], "verbs": ["bind"]}]),
              rbinding(c, "platform-rbac-editors", "2026-05-30T08:31:00Z", "platform-rbac-editor",
                       [subj("User", "bob@example.com")]),
              rbinding(c, "platform-readers", "2026-05-30T08:32:00Z", "view",
                       [subj("Group", "contractors"), subj("Group", "platform-oncall")])]
    emit(root, "rbac/custom", custom, "list-json")

    wl = [deployment(c, "gloo-mesh-mgmt-server", "gloo-mesh", "2026-05-30T08:12:31Z",
                     "gcr.io/gloo-mesh/gloo-mesh-mgmt-server:2.12.0", "gloo-mesh-mgmt-server", 1),
          deployment(c, "gloo-mesh-ui", "gloo-mesh", "2026-05-30T08:12:31Z", "gcr.io/gloo-mesh/gloo-mesh-apiserver:2.12.0",
                     "gloo-mesh-ui", 1),
          deployment(c, "argocd-repo-server", "argocd", "2026-05-30T07:51:00Z", "quay.io/argoproj/argocd:v2.11.3",
                     "argocd-repo-server", 1)]
    emit(root, "workloads/deployments", wl, "list-yaml")
    emit(root, "workloads/pods", [pod(c, "gloo-mesh-mgmt-server-6f7d9c8b4-qz2lk", "gloo-mesh", "2026-11-30T21:30:05Z",
                                      "gloo-mesh-mgmt-server", "gcr.io/gloo-mesh/gloo-mesh-mgmt-server:2.12.0",
                                      "mgmt-pool-a-1")], "json")
    emit(root, "workloads/services", [service(c, "gloo-mesh-mgmt-server", "gloo-mesh", "2026-05-30T08:12:31Z", 9900)],
         "yaml")
    emit(root, "workloads/configmaps", [configmap(c, "argocd-cm", "argocd", "2026-05-30T07:50:30Z",
                                                  {"url": "https://argocd.acme.internal",
                                                   "timeout.reconciliation": "180s"})], "multi")
    return secrets[3]


# ---------------------------------------------------------------------------------------------
# management-cluster API-server audit log

KUBECTL_UA = "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350"
USERS = {
    "admin": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
    "alice": {"username": "alice@example.com", "groups": ["platform-admins", "system:authenticated"]},
    "bob": {"username": "bob@example.com", "groups": ["platform-admins", "system:authenticated"]},
    "carol": {"username": "carol.contractor@example.com", "groups": ["contractors", "system:authenticated"]},
    "argocd": {"username": "system:serviceaccount:argocd:argocd-application-controller",
               "uid": uid("mgmt", "ServiceAccount", "argocd", "argocd-application-controller"),
               "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
               "extra": {"authentication.kubernetes.io/credential-id": ["JTI=" + uid("jti", "argocd-controller")],
                         "authentication.kubernetes.io/pod-name": ["argocd-application-controller-0"],
                         "authentication.kubernetes.io/pod-uid": [uid("mgmt", "Pod", "argocd", "argocd-application-controller-0")]}},
    "mgmtsrv": {"username": "system:serviceaccount:gloo-mesh:gloo-mesh-mgmt-server",
                "uid": uid("mgmt", "ServiceAccount", "gloo-mesh", "gloo-mesh-mgmt-server"),
                "groups": ["system:serviceaccounts", "system:serviceaccounts:gloo-mesh", "system:authenticated"],
                "extra": {"authentication.kubernetes.io/pod-name": ["gloo-mesh-mgmt-server-6f7d9c8b4-qz2lk"]}},
    "kcm": {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]},
    "node": {"username": "system:node:mgmt-pool-a-1", "groups": ["system:nodes", "system:authenticated"]},
}
UA = {"admin": "Helm/3.15.2", "alice": KUBECTL_UA, "bob": "kubectl/v1.30.2 (darwin/arm64) kubernetes/3968350",
      "carol": "kubectl/v1.29.4 (windows/amd64) kubernetes/55f2bc2",
      "argocd": "argocd-application-controller/v2.11.3 (linux/amd64) kubernetes/abc1234",
      "mgmtsrv": "gloo-mesh-mgmt-server/v2.12.0 (linux/amd64)",
      "kcm": "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350/leader-election",
      "node": "kubelet/v1.30.2 (linux/amd64) kubernetes/3968350"}
IPS = {"admin": ["198.51.100.23"], "alice": ["198.51.100.23"], "bob": ["198.51.100.41"],
       "carol": ["192.0.2.77"], "argocd": ["10.4.2.17"], "mgmtsrv": ["10.4.1.9"], "kcm": ["10.4.0.2"],
       "node": ["10.4.0.11"]}
REASON = {
    "admin": 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    "alice": 'RBAC: allowed by ClusterRoleBinding "gloo-mesh-registrars" of ClusterRole "gloo-mesh-registrar" to Group "platform-admins"',
    "bob": 'RBAC: allowed by ClusterRoleBinding "gloo-mesh-registrars" of ClusterRole "gloo-mesh-registrar" to Group "platform-admins"',
    "argocd": 'RBAC: allowed by ClusterRoleBinding "gloo-mesh-registrars" of ClusterRole "gloo-mesh-registrar" to ServiceAccount "argocd-application-controller/argocd"',
    "mgmtsrv": 'RBAC: allowed by ClusterRoleBinding "gloo-mesh-mgmt-server-gloo-mesh" of ClusterRole "gloo-mesh-mgmt-server-gloo-mesh" to ServiceAccount "gloo-mesh-mgmt-server/gloo-mesh"',
    "kcm": 'RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"',
    "node": "",
}
DUPLICATE_AUDIT_ID = "5d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


class Audit:
    def __init__(self):
        self.rng = random.Random(20261201)
        self.events = []

    def aid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _base(self, who, verb, uri, ref, level, stage, t_recv, t_stage, audit_id):
        e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": audit_id,
             "stage": stage, "requestURI": uri, "verb": verb, "user": USERS[who], "sourceIPs": IPS[who],
             "userAgent": UA[who]}
        if ref is not None:
            e["objectRef"] = ref
        e["requestReceivedTimestamp"] = ts_us(t_recv)
        e["stageTimestamp"] = ts_us(t_stage)
        return e

    def read(self, who, verb, uri, ref, t, latency_ms=None, code=200, audit_id=None):
        t_stage = t + dt.timedelta(milliseconds=latency_ms if latency_ms is not None else self.rng.randint(1, 40),
                                   microseconds=self.rng.randint(0, 999))
        e = self._base(who, verb, uri, ref, "Metadata", "ResponseComplete", t, t_stage, audit_id or self.aid())
        e["responseStatus"] = {"metadata": {}, "code": code}
        e["annotations"] = {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": REASON.get(who, "")}
        # move timestamps after responseStatus like the API server does
        for k in ("requestReceivedTimestamp", "stageTimestamp", "annotations"):
            e[k] = e.pop(k)
        self.events.append(e)
        return e

    def write(self, who, verb, uri, ref, t, code, level="Metadata", req=None, resp=None, status=None,
              decision="allow", reason=None, extra_ann=None):
        audit_id = self.aid()
        t_stage = t + dt.timedelta(milliseconds=self.rng.randint(4, 30), microseconds=self.rng.randint(0, 999))
        rref = dict(ref)
        if verb == "create":
            rref.pop("name", None)
        e1 = self._base(who, verb, uri, rref, level, "RequestReceived", t, t, audit_id)
        e2 = self._base(who, verb, uri, ref, level, "ResponseComplete", t, t_stage, audit_id)
        e2["responseStatus"] = status or {"metadata": {}, "code": code}
        if req is not None and level in ("Request", "RequestResponse"):
            e2["requestObject"] = req
        if resp is not None and level == "RequestResponse":
            e2["responseObject"] = resp
        for k in ("requestReceivedTimestamp", "stageTimestamp"):
            e2[k] = e2.pop(k)
        ann = {"authorization.k8s.io/decision": decision,
               "authorization.k8s.io/reason": REASON.get(who, "") if reason is None else reason}
        ann.update(extra_ann or {})
        e2["annotations"] = ann
        self.events += [e1, e2]
        return e2


def at(s, us):
    return T(s) + dt.timedelta(microseconds=us)


def kc_ref(name):
    return {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "name": name,
            "apiGroup": "admin.gloo.solo.io", "apiVersion": "v2"}


def build_audit(relay_secret):
    a = Audit()
    rng = a.rng
    KCS_URI = "/apis/admin.gloo.solo.io/v2/namespaces/gloo-mesh/kubernetesclusters"
    # --- bootstrap of the management plane (Helm install by the kubeadm admin) ---
    req = {"kind": "Secret", "apiVersion": "v1",
           "metadata": {"name": "relay-identity-token-secret", "namespace": "gloo-mesh",
                        "labels": {"app.kubernetes.io/managed-by": "Helm"},
                        "annotations": {"meta.helm.sh/release-name": "gloo-platform",
                                        "meta.helm.sh/release-namespace": "gloo-mesh"}},
           "data": {"token": b64(RELAY_TOKEN)}, "type": "Opaque"}
    resp = json.loads(json.dumps(req))
    resp["metadata"].update({"uid": relay_secret["metadata"]["uid"], "resourceVersion": "1873",
                             "creationTimestamp": RELAY_TOKEN_CREATED,
                             "managedFields": [mf("helm", "Update", RELAY_TOKEN_CREATED, "v1",
                                                  {"f:data": {".": {}, "f:token": {}}, "f:type": {}})]})
    a.write("admin", "create", "/api/v1/namespaces/gloo-mesh/secrets?fieldManager=helm",
            {"resource": "secrets", "namespace": "gloo-mesh", "name": "relay-identity-token-secret", "apiVersion": "v1"},
            at(RELAY_TOKEN_CREATED, 204518), 201, level="RequestResponse", req=req, resp=resp)
    for name, t in [("relay-root-tls-secret", "2026-05-30T08:13:02Z"), ("relay-tls-signing-secret", "2026-05-30T08:13:02Z"),
                    ("relay-server-tls-secret", "2026-05-30T08:13:03Z")]:
        a.write("mgmtsrv", "create", "/api/v1/namespaces/gloo-mesh/secrets",
                {"resource": "secrets", "namespace": "gloo-mesh", "name": name, "apiVersion": "v1"},
                at(t, rng.randint(1000, 400000)), 201)
    rbac_uri = "/apis/rbac.authorization.k8s.io/v1/"
    for kind, res, name, t in [("ClusterRole", "clusterroles", "gloo-mesh-registrar", "2026-05-30T08:30:00Z"),
                               ("ClusterRoleBinding", "clusterrolebindings", "gloo-mesh-registrars", "2026-05-30T08:30:00Z"),
                               ("ClusterRole", "clusterroles", "platform-rbac-editor", "2026-05-30T08:31:00Z"),
                               ("ClusterRoleBinding", "clusterrolebindings", "platform-rbac-editors", "2026-05-30T08:31:00Z"),
                               ("ClusterRoleBinding", "clusterrolebindings", "platform-readers", "2026-05-30T08:32:00Z")]:
        a.write("admin", "create", rbac_uri + res + "?fieldManager=kubectl-create&fieldValidation=Strict",
                {"resource": res, "name": name, "apiGroup": "rbac.authorization.k8s.io", "apiVersion": "v1"},
                at(t, rng.randint(1000, 400000)), 201, level="Request",
                req={"kind": kind, "apiVersion": RBAC, "metadata": {"name": name}},
                extra_ann=None)

    # --- cluster registrations ---
    def kc_create(who, name, t_str, us):
        m = kubernetescluster_manifest(name)
        fm = "argocd-controller" if who == "argocd" else "kubectl-client-side-apply"
        e = a.write(who, "create", f"{KCS_URI}?fieldManager={fm}&fieldValidation=Strict", kc_ref(name),
                    at(t_str, us), 201, level="Request", req=m)
        a.write("mgmtsrv", "patch", f"{KCS_URI}/{name}/status", dict(kc_ref(name), subresource="status"),
                at(plus(t_str, seconds=2), rng.randint(1000, 900000)), 200)
        return e

    kc_create("alice", "eu-central-1", REG["eu-central-1"], 118203)
    kc_create("alice", "eu-west-1", REG["eu-west-1"], 402117)
    forbid_msg = ('kubernetesclusters.admin.gloo.solo.io is forbidden: User "carol.contractor@example.com" cannot '
                  'create resource "kubernetesclusters" in API group "admin.gloo.solo.io" in the namespace "gloo-mesh"')
    a.write("carol", "create", f"{KCS_URI}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
            kc_ref("us-east-1"), at("2026-06-03T13:55:00Z", 287310), 403, level="Request",
            req=kubernetescluster_manifest("us-east-1"),
            status={"metadata": {}, "status": "Failure", "message": forbid_msg, "reason": "Forbidden",
                    "details": {"name": "us-east-1", "group": "admin.gloo.solo.io", "kind": "kubernetesclusters"},
                    "code": 403},
            decision="forbid", reason="")
    # a Request-level create does not return a body for the 403; requestObject is absent when authz fails
    a.events[-1].pop("requestObject", None)
    kc_create("bob", "us-east-1", REG["us-east-1"], 55872)
    kc_create("bob", "us-west-2", REG["us-west-2"], 310045)

    # --- workspace + access policy ---
    a.write("admin", "create", "/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict",
            {"resource": "namespaces", "name": "payments", "apiVersion": "v1"}, at("2026-06-04T11:04:10Z", 90211), 201)
    a.write("alice", "create", "/apis/admin.gloo.solo.io/v2/namespaces/gloo-mesh/workspaces?fieldManager=kubectl-client-side-apply",
            {"resource": "workspaces", "namespace": "gloo-mesh", "name": "payments", "apiGroup": "admin.gloo.solo.io",
             "apiVersion": "v2"}, at("2026-06-04T11:05:02Z", 13377), 201, level="Request",
            req={"apiVersion": KC_API, "kind": "Workspace", "metadata": {"name": "payments", "namespace": "gloo-mesh"},
                 "spec": {"workloadClusters": [{"name": "*", "namespaces": [{"name": "payments"}]}]}})
    a.write("alice", "create", "/apis/admin.gloo.solo.io/v2/namespaces/payments/workspacesettings?fieldManager=kubectl-client-side-apply",
            {"resource": "workspacesettings", "namespace": "payments", "name": "payments",
             "apiGroup": "admin.gloo.solo.io", "apiVersion": "v2"}, at("2026-06-04T11:06:19Z", 500012), 201)
    ap_uri = "/apis/security.policy.gloo.solo.io/v2/namespaces/payments/accesspolicies"
    ap_ref = {"resource": "accesspolicies", "namespace": "payments", "name": "ledger-access",
              "apiGroup": "security.policy.gloo.solo.io", "apiVersion": "v2"}
    ap_body = {"apiVersion": "security.policy.gloo.solo.io/v2", "kind": "AccessPolicy",
               "metadata": {"name": "ledger-access", "namespace": "payments", "labels": {"app": "ledger"}},
               "spec": accesspolicy_spec()}
    first = json.loads(json.dumps(ap_body))
    first["spec"]["config"]["authzList"][0]["allowedMethods"] = ["GET"]
    a.write("alice", "create", ap_uri + "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", ap_ref,
            at(ACCESSPOLICY_CREATED, 77419), 201, level="Request", req=first)
    a.write("alice", "patch", ap_uri + "/ledger-access?fieldManager=kubectl-patch", ap_ref,
            at("2026-07-10T15:02:33Z", 618400), 200, level="Request",
            req={"spec": {"config": {"authzList": ap_body["spec"]["config"]["authzList"]}}})
    upd = json.loads(json.dumps(ap_body))
    upd["metadata"]["resourceVersion"] = "2291044"
    a.write("alice", "update", ap_uri + "/ledger-access?fieldManager=kubectl-replace", ap_ref,
            at("2026-09-22T09:45:10Z", 231907), 200, level="Request", req=upd)

    # --- bob widens the registrar binding to the Argo CD controller (before Day 90) ---
    crb = {"kind": "ClusterRoleBinding", "apiVersion": RBAC,
           "metadata": {"name": "gloo-mesh-registrars", "resourceVersion": "1690233"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "gloo-mesh-registrar"},
           "subjects": [subj("Group", "platform-admins"),
                        subj("ServiceAccount", "argocd-application-controller", "argocd")]}
    a.write("bob", "update", rbac_uri + "clusterrolebindings/gloo-mesh-registrars?fieldManager=kubectl-edit",
            {"resource": "clusterrolebindings", "name": "gloo-mesh-registrars",
             "apiGroup": "rbac.authorization.k8s.io", "apiVersion": "v1"},
            at("2026-08-28T16:12:45Z", 940551), 200, level="Request", req=crb,
            reason='RBAC: allowed by ClusterRoleBinding "platform-rbac-editors" of ClusterRole "platform-rbac-editor" to User "bob@example.com"')

    # --- Day 90: GitOps registers ap-south-1; later us-west-2 is decommissioned ---
    kc_create("argocd", "ap-south-1", REG["ap-south-1"], 4411)
    a.write("alice", "delete", f"{KCS_URI}/us-west-2", kc_ref("us-west-2"), at("2026-09-15T16:40:00Z", 120733), 200)

    # --- TokenRequests (kubelet refreshing projected tokens of the mgmt server, Argo CD controller) ---
    for i, t in enumerate(["2026-05-30T08:12:40Z", "2026-06-30T08:12:41Z", "2026-07-30T08:12:40Z",
                           "2026-08-29T08:12:42Z", "2026-09-28T08:12:40Z", "2026-10-28T08:12:43Z",
                           "2026-11-27T08:12:40Z"]):
        for sa_ns, sa_name in [("gloo-mesh", "gloo-mesh-mgmt-server"), ("argocd", "argocd-application-controller")]:
            a.write("node", "create", f"/api/v1/namespaces/{sa_ns}/serviceaccounts/{sa_name}/token",
                    {"resource": "serviceaccounts", "namespace": sa_ns, "name": sa_name, "apiVersion": "v1",
                     "subresource": "token"},
                    at(t, rng.randint(1000, 999999)), 201,
                    extra_ann={"authentication.kubernetes.io/issued-credential-id": "JTI=" + uid("jti", sa_name, t)})

    # --- read noise, every day ---
    day = T("2026-05-30T09:00:00Z")
    end = T("2026-11-30T22:00:00Z")
    while day <= end:
        for _ in range(2):
            t = day + dt.timedelta(seconds=rng.randint(0, 86000))
            if t > end:
                continue
            a.read("mgmtsrv", "watch", KCS_URI + f"?allowWatchBookmarks=true&resourceVersion={rng.randint(10**6, 9*10**6)}"
                   f"&timeoutSeconds=540&watch=true",
                   {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "apiGroup": "admin.gloo.solo.io",
                    "apiVersion": "v2"}, t, latency_ms=540000)
        t = day + dt.timedelta(seconds=rng.randint(0, 86000))
        if t <= end:
            a.read("mgmtsrv", "get", "/api/v1/namespaces/gloo-mesh/secrets/relay-server-tls-secret",
                   {"resource": "secrets", "namespace": "gloo-mesh", "name": "relay-server-tls-secret", "apiVersion": "v1"}, t)
        t = day + dt.timedelta(seconds=rng.randint(0, 86000))
        if t <= end:
            a.read("kcm", "get", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s",
                   {"resource": "leases", "namespace": "kube-system", "name": "kube-controller-manager",
                    "apiGroup": "coordination.k8s.io", "apiVersion": "v1"}, t)
        if day >= T("2026-08-28T00:00:00Z"):
            t = day + dt.timedelta(seconds=rng.randint(0, 86000))
            if t <= end:
                a.read("argocd", "list", KCS_URI + "?limit=500",
                       {"resource": "kubernetesclusters", "namespace": "gloo-mesh", "apiGroup": "admin.gloo.solo.io",
                        "apiVersion": "v2"}, t)
        if rng.random() < 0.3:
            who = rng.choice(["alice", "bob"])
            t = day + dt.timedelta(hours=rng.randint(8, 17), seconds=rng.randint(0, 3599))
            if t <= end:
                if rng.random() < 0.5:
                    a.read(who, "list", KCS_URI + "?limit=500", {"resource": "kubernetesclusters",
                           "namespace": "gloo-mesh", "apiGroup": "admin.gloo.solo.io", "apiVersion": "v2"}, t)
                else:
                    name = rng.choice(["eu-central-1", "eu-west-1", "us-east-1"])
                    a.read(who, "get", f"{KCS_URI}/{name}", kc_ref(name), t)
        day += dt.timedelta(days=1)
    # the event written at log rotation time (appears in both files)
    a.read("mgmtsrv", "get", "/api/v1/namespaces/gloo-mesh/secrets/relay-server-tls-secret",
           {"resource": "secrets", "namespace": "gloo-mesh", "name": "relay-server-tls-secret", "apiVersion": "v1"},
           at("2026-08-31T23:59:59Z", 412345), latency_ms=0, audit_id=DUPLICATE_AUDIT_ID)
    return a.events


def write_audit(out, events):
    d = os.path.join(out, "mesh", "mgmt", "audit")
    os.makedirs(d, exist_ok=True)
    events = sorted(events, key=lambda e: (e["stageTimestamp"], e["stage"] != "RequestReceived"))
    cut = "2026-08-31T23:59:59.999999Z"
    old = [e for e in events if e["stageTimestamp"] <= cut]
    new = [e for e in events if e["stageTimestamp"] > cut]
    dup = [e for e in old if e["auditID"] == DUPLICATE_AUDIT_ID]
    new = dup + new
    line = lambda e: json.dumps(e, separators=(",", ":")) + "\n"
    with open(os.path.join(d, "kube-apiserver-audit-2026-08-31.log.gz"), "wb") as f:
        with gzip.GzipFile(filename="kube-apiserver-audit-2026-08-31.log", mode="wb", fileobj=f, mtime=0) as g:
            g.write("".join(line(e) for e in old).encode())
    write_text(os.path.join(d, "kube-apiserver-audit.log"), "".join(line(e) for e in new))
    return len(old), len(new)


# ---------------------------------------------------------------------------------------------
# GitOps repository (bare)

ALICE = ("Alice Example", "alice@example.com")
BOB = ("Bob Builder", "bob@example.com")
PRIYA = ("Priya Raman", "priya@example.com")
DAVE = ("Dave Ops", "dave@example.com")
GITHUB = ("GitHub", "noreply@github.com")


def ap_manifest(name, ns, spec):
    return to_yaml({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                    "metadata": {"name": name, "namespace": ns}, "spec": spec}, sort=False)


GIT_README_1 = """# acme-mesh gitops

Desired state of the Acme Corp ambient mesh. Argo CD (on the management cluster) syncs:

- `kustomization.yaml` (mesh-wide Istio security policies) to every workload cluster;
- `rbac/` to every workload cluster;
- `overlays/<cluster>/` to that cluster only;
- `clusters/<cluster>/` to the management cluster (Gloo `KubernetesCluster` registrations).

Changes go through pull requests.
"""
GIT_README_2 = GIT_README_1 + """
## Contacts

Platform team: #platform-mesh (Slack), platform-oncall rotation in PagerDuty.
"""


def build_gitops(out):
    repo = os.path.join(out, "gitops.git")
    tmp = tempfile.mkdtemp(prefix="acme-gitops-")
    try:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        work = os.path.join(tmp, "work")
        env = dict(os.environ, HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
                   GIT_TERMINAL_PROMPT="0", TZ="UTC")

        def git(*args, cwd=work, extra=None, check=True):
            e = dict(env)
            e.update(extra or {})
            return subprocess.run(["git", *args], cwd=cwd, env=e, check=check, capture_output=True, text=True).stdout

        def put(path, text):
            write_text(os.path.join(work, path), text)

        def commit(msg, author, adate, committer=None, cdate=None, sign=False):
            committer = committer or author
            extra = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": adate,
                     "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
                     "GIT_COMMITTER_DATE": cdate or adate}
            args = ["commit", "-q", "-m", msg]
            if sign:
                args = ["-c", "gpg.format=ssh", "-c", "user.signingkey=" + keyfile] + args + ["-S"]
            git(*args, extra=extra)

        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], env=env, check=True)
        subprocess.run(["git", "init", "-q", "-b", "main", work], env=env, check=True)
        keyfile = os.path.join(tmp, "signing_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "priya@example.com", "-f", keyfile],
                       env=env, check=True, stdin=subprocess.DEVNULL)
        git("config", "commit.gpgsign", "false")

        # 1. initial policies
        put("policies/base/payments/billing-allow-payments.yaml", ap_manifest("billing-allow-payments", "payments", BILLING_SPEC))
        put("policies/base/checkout/checkout-allow-frontend.yaml", ap_manifest("checkout-allow-frontend", "checkout", CHECKOUT_SPEC))
        put("policies/base/istio-system/peer-authentication-default.yaml",
            to_yaml({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                     "metadata": {"name": "default", "namespace": "istio-system"},
                     "spec": {"mtls": {"mode": "STRICT"}}}, sort=False))
        put("policies/base/legacy/allow-all.yaml",
            "# Kept for reference while the legacy namespace is migrated. Not listed in kustomization.yaml.\n" +
            ap_manifest("allow-all", "legacy", {"action": "ALLOW", "rules": [{}]}))
        put("kustomization.yaml", to_yaml({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "commonLabels": {"app.kubernetes.io/instance": ARGO_APP},
            "resources": ["policies/base/payments/billing-allow-payments.yaml",
                          "policies/base/checkout/checkout-allow-frontend.yaml",
                          "policies/base/istio-system/peer-authentication-default.yaml"]}, sort=False))
        put("README.md", GIT_README_1)
        git("add", "-A")
        commit("Initial mesh policies", ALICE, "2026-05-20T10:00:00+02:00")
        # 2. platform-oncall binding
        put("rbac/platform-oncall.yaml", to_yaml({
            "apiVersion": RBAC, "kind": "ClusterRoleBinding",
            "metadata": {"name": "platform-oncall", "labels": {"app.kubernetes.io/instance": ARGO_APP}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [subj("Group", "platform-oncall")]}, sort=False))
        git("add", "-A")
        commit("Add platform-oncall binding", BOB, "2026-06-10T10:55:00+01:00")
        # 3. pure rename
        os.makedirs(os.path.join(work, "rbac", "bindings"), exist_ok=True)
        git("mv", "rbac/platform-oncall.yaml", "rbac/bindings/platform-oncall.yaml")
        commit("Move platform-oncall binding under rbac/bindings", BOB, "2026-07-01T14:20:00+01:00")
        # 4. delete legacy allow-all
        git("rm", "-q", "policies/base/legacy/allow-all.yaml")
        commit("Remove legacy allow-all policy", ALICE, "2026-07-15T11:00:00+02:00")
        # 5. README only
        put("README.md", GIT_README_2)
        git("add", "-A")
        commit("README: add contacts", BOB, "2026-07-20T16:45:00+01:00")
        # 6. signed registration commit on a branch, merged by GitHub
        git("checkout", "-q", "-b", "priya/register-ap-south-1")
        put("clusters/ap-south-1/kubernetescluster.yaml", to_yaml(kubernetescluster_manifest("ap-south-1"), sort=False))
        git("add", "-A")
        commit("Register ap-south-1 with the management plane", PRIYA, "2026-08-31T15:28:00+05:30",
               GITHUB, "2026-08-31T15:28:00+05:30", sign=True)
        git("checkout", "-q", "main")
        git("merge", "-q", "--no-ff", "--no-edit", "-m",
            "Merge pull request #42 from acme/priya/register-ap-south-1\n\nRegister ap-south-1 with the management plane",
            "priya/register-ap-south-1",
            extra={"GIT_AUTHOR_NAME": PRIYA[0], "GIT_AUTHOR_EMAIL": PRIYA[1],
                   "GIT_AUTHOR_DATE": "2026-08-31T15:32:00+05:30",
                   "GIT_COMMITTER_NAME": GITHUB[0], "GIT_COMMITTER_EMAIL": GITHUB[1],
                   "GIT_COMMITTER_DATE": "2026-08-31T10:02:00+00:00"})
        git("branch", "-q", "-D", "priya/register-ap-south-1")
        # 7. ap-south-1 PERMISSIVE override
        put("overlays/ap-south-1/payments/peer-authentication-permissive.yaml",
            to_yaml({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                     "metadata": {"name": "default", "namespace": "payments"},
                     "spec": {"mtls": {"mode": "PERMISSIVE"}}}, sort=False))
        git("add", "-A")
        commit("ap-south-1: allow plaintext to payments during migration", PRIYA, "2026-09-02T12:30:00+05:30")
        # 8. unsigned hotfix
        put("overlays/us-east-1/payments/billing-allow-payments.yaml",
            "# kustomize strategic-merge patch applied to us-east-1 only\n" +
            to_yaml({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                     "metadata": {"name": "billing-allow-payments", "namespace": "payments"},
                     "spec": {"rules": BILLING_SPEC_DRIFTED["rules"]}}, sort=False))
        git("add", "-A")
        commit("us-east-1 hotfix: open billing policy", DAVE, "2026-10-20T02:58:00-05:00")

        git("push", "-q", repo, "main:main")
        bgit = lambda *a: subprocess.run(["git", "--git-dir", repo, *a], env=env, check=True,
                                         capture_output=True, text=True).stdout
        bgit("gc", "-q", "--aggressive", "--prune=now")
        head = bgit("rev-parse", "refs/heads/main").strip()
        # keep a loose ref so refs/ survives being committed to another git repository
        write_text(os.path.join(repo, "refs", "heads", "main"), head + "\n")
        if os.path.exists(os.path.join(repo, "packed-refs")):
            os.remove(os.path.join(repo, "packed-refs"))
        for d in ("hooks", "logs"):
            shutil.rmtree(os.path.join(repo, d), ignore_errors=True)
        for f in ("FETCH_HEAD", "ORIG_HEAD"):
            if os.path.exists(os.path.join(repo, f)):
                os.remove(os.path.join(repo, f))
        return head
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=HERE, help="output folder (default: the folder of this script)")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    for d in ("mesh", "gitops.git"):
        shutil.rmtree(os.path.join(out, d), ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    pki = build_pki()
    for i, c in enumerate(WORKLOAD):
        dump_workload(out, pki, c, i)
    relay_secret = dump_mgmt(out, pki)
    n_old, n_new = write_audit(out, build_audit(relay_secret))
    head = build_gitops(out)
    print(f"wrote {out}/mesh ({len(WORKLOAD)} workload clusters + mgmt), audit lines {n_old}+{n_new}, "
          f"gitops.git main={head}")


if __name__ == "__main__":
    main()
