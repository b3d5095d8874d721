"""Contract fuzzing of the REST API: starts the real server on a fresh database (SQLite, or
PostgreSQL when TEST_DATABASE_URL names one) with the demo data, signs in a customer and a manager, makes a carrier token, and runs Schemathesis over
every operation of /api/v1/openapi.json with the tokens each operation is meant for.

Usage: run.py SERVER_BINARY [schemathesis run options...]
The options after the binary go to `schemathesis run` (scripts/contract.sh passes the seed,
phases and example counts of the short and the long form). Exits with Schemathesis' status.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO_PASSWORD = "parcelport-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, token: str | None = None, body: dict | None = None):
    request = urllib.request.Request(base + path, method="POST" if body is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        request.add_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
    with urllib.request.urlopen(request, data, timeout=30) as response:
        return json.load(response)


def token_for(base: str, email: str) -> str:
    return call(base, "/api/v1/tokens", body={"email": email, "password": DEMO_PASSWORD})["token"]


def main() -> int:
    binary, st_args = sys.argv[1], sys.argv[2:]
    run_dir = tempfile.mkdtemp(prefix="pp-contract-")
    # PostgreSQL when TEST_DATABASE_URL names one (a fresh database, dropped after), else SQLite.
    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    pg_database = None
    if admin_url.startswith("postgres"):
        pg_database = f"pp_test_contract_{os.getpid()}"
        subprocess.run(["psql", admin_url, "-qc", f'CREATE DATABASE "{pg_database}"'], check=True)
        database_url = f"{admin_url.rsplit('/', 1)[0]}/{pg_database}"
    else:
        database_url = f"sqlite://{run_dir}/contract.db"
    print(f"contract tests on {'PostgreSQL' if pg_database else 'SQLite'}", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        PARCELPORT_ADDR=f"127.0.0.1:{port}",
        DATABASE_URL=database_url,
        UPLOAD_DIR=f"{run_dir}/uploads",
        DEMO_DATA="true",
        SIMULATOR_SPEED="0",
        TIER_RECOMPUTE_AT="off",
        MAP_TILE_URL="none",
        # The limits would answer 429 to most of a fuzzer's requests and hide the rest.
        TRACK_LOOKUP_LIMIT="1000000",
        SIGN_IN_RATE_LIMIT="1000000",
        SIGN_UP_RATE_LIMIT="1000000",
        COMPLAINTS_PER_DAY="1000000",
        UPLOADS_PER_DAY="1000000",
        STREAMS_PER_CLIENT="1000",
        RUST_LOG=os.environ.get("RUST_LOG", "warn"),
    )
    env.pop("TEST_DATABASE_URL", None)
    log = open(os.path.join(run_dir, "server.log"), "w")
    server = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                if call(base, "/readyz")["status"] == "ready":
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            print("the server did not become ready; its log:", file=sys.stderr)
            print(open(os.path.join(run_dir, "server.log")).read(), file=sys.stderr)
            return 2
        carrier = subprocess.run(
            [binary, "create-carrier-token", "--name", "contract"],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        customer = token_for(base, "shipper@acme.example")
        shipments = call(base, "/api/v1/shipments", customer)["shipments"]
        st_env = dict(
            os.environ,
            PP_CUSTOMER_TOKEN=customer,
            PP_STAFF_TOKEN=token_for(base, "manager@parcelport.example"),
            PP_CARRIER_TOKEN=carrier,
            PP_SPARE_TOKEN=token_for(base, "li.lei@example.com"),
            # A real parcel of the customer's, so positive cases reach the handlers' own rules.
            PP_TRACKING_NUMBER=shipments[-1]["tracking_number"] if shipments else "CP000000000CN",
        )
        command = [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"),
            "--config-file", os.path.join(HERE, "schemathesis.toml"),
            "run", f"{base}/api/v1/openapi.json",
            "--report", "junit", "--report-dir", os.path.join(run_dir, "report"),
            *st_args,
        ]
        print("$", " ".join(command), flush=True)
        status = subprocess.run(command, env=st_env).returncode
        errors = [line for line in open(os.path.join(run_dir, "server.log")) if " ERROR " in line]
        if errors:
            print(f"the server logged {len(errors)} errors, the first:", *errors[:5], sep="\n")
            status = status or 1
        return status
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if pg_database:
            subprocess.run(
                ["psql", admin_url, "-qc", f'DROP DATABASE IF EXISTS "{pg_database}"'], check=False
            )


if __name__ == "__main__":
    sys.exit(main())
