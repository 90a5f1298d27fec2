#!/usr/bin/env python3
"""A real third-party client: Python grpcio (Debian's python3-grpcio) screens
over TLS with an API key against the real screening-server.

usage: tls_client_test.py SERVER_BINARY REPO_ROOT

The script makes its own temporary directory with test-time certificates
(openssl CLI), Python stubs generated from proto/ (grpc_tools when installed,
else protoc with Debian's grpc_python_plugin), an admin key made with
`screening-server keys create`, and a server on a free loopback port.
Exit 0: passed; 1: failed; 77: skipped (a tool or module is missing), which
ctest reports as skipped through SKIP_RETURN_CODE.
"""
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile

SKIP = 77
LAZARUS = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"


def skip(why):
    print("SKIPPED: " + why)
    sys.exit(SKIP)


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


def make_certificates(d):
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=py-test-ca",
         "-keyout", d + "/ca.key", "-out", d + "/ca.pem"])
    with open(d + "/server.ext", "w") as ext:
        ext.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", d + "/server.key",
         "-out", d + "/server.csr"])
    run(["openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
         "-CAcreateserial", "-days", "2", "-extfile", d + "/server.ext", "-out", d + "/server.pem"])


def generate_stubs(repo, out):
    protos = ["screening/v1/screening.proto", "screening/v1/admin.proto"]
    proto_root = os.path.join(repo, "proto")
    try:
        importlib.import_module("grpc_tools.protoc")
        command = [sys.executable, "-m", "grpc_tools.protoc"]
        plugin = []
    except ImportError:
        protoc = shutil.which("protoc")
        plugin_path = shutil.which("grpc_python_plugin")
        if protoc is None or plugin_path is None:
            skip("neither grpc_tools nor protoc with grpc_python_plugin is installed")
        command = [protoc]
        plugin = ["--plugin=protoc-gen-grpc_python=" + plugin_path]
    run(command + plugin + ["-I", proto_root, "--python_out=" + out, "--grpc_python_out=" + out] + protos)
    sys.path.insert(0, out)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    server_binary, repo = sys.argv[1], sys.argv[2]
    try:
        grpc = importlib.import_module("grpc")
        importlib.import_module("google.protobuf")
    except ImportError:
        skip("python3-grpcio / python3-protobuf are not installed")
    if shutil.which("openssl") is None:
        skip("the openssl CLI is not installed")

    with tempfile.TemporaryDirectory(prefix="screening-py-") as d:
        make_certificates(d)
        generate_stubs(repo, d)
        from screening.v1 import screening_pb2, screening_pb2_grpc  # noqa: E402

        db = d + "/screening.db"
        created = run([server_binary, "keys", "create", "--db", db, "--name", "python", "--role", "screen"])
        secret = next(line[len("secret: "):] for line in created.stdout.splitlines() if line.startswith("secret: "))

        server = subprocess.Popen(
            [server_binary, "--db", db, "--lists", os.path.join(repo, "lists/sources.conf"), "--listen",
             "127.0.0.1:0", "--tls-cert", d + "/server.pem", "--tls-key", d + "/server.key"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            port = None
            log = []
            for line in server.stdout:
                log.append(line)
                if line.startswith("LISTENING "):
                    port = int(line.strip().rsplit(":", 1)[1])
                    break
            if port is None:
                print("the server did not start:\n" + "".join(log))
                return 1

            with open(d + "/ca.pem", "rb") as ca:
                credentials = grpc.ssl_channel_credentials(root_certificates=ca.read())
            failures = []
            with grpc.secure_channel("localhost:%d" % port, credentials) as channel:
                stub = screening_pb2_grpc.ScreeningServiceStub(channel)
                request = screening_pb2.ScreenRequest(address=LAZARUS.lower(), reference="python-tls")
                response = stub.Screen(request, metadata=[("authorization", "Bearer " + secret)], timeout=30)
                if response.verdict != screening_pb2.VERDICT_MATCH:
                    failures.append("Lazarus address not a MATCH: %s" % response)
                try:
                    stub.Screen(request, timeout=30)
                    failures.append("a call without a key was answered")
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                        failures.append("no key gave %s, not UNAUTHENTICATED" % error.code())
            with grpc.insecure_channel("127.0.0.1:%d" % port) as plaintext:
                try:
                    screening_pb2_grpc.ScreeningServiceStub(plaintext).Screen(
                        request, metadata=[("authorization", "Bearer " + secret)], timeout=10)
                    failures.append("a plaintext call to the TLS server was answered")
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.UNAVAILABLE:
                        failures.append("plaintext gave %s, not UNAVAILABLE" % error.code())
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                rest, _ = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                rest, _ = server.communicate()
        if server.returncode != 0:
            failures.append("the server exited with %d after SIGTERM:\n%s" % (server.returncode, rest))
        for failure in failures:
            print("FAILED: " + failure)
        if not failures:
            print("PASSED: grpcio %s screened over TLS with an API key" % grpc.__version__)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
