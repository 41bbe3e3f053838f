"""A worker that is not Node: drives a run's lifecycle through the HTTP API with urllib only."""
import json
import sys
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]


def call(method, path, body=None, key=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + TOKEN)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


steps = {}
status, body = call("POST", "/api/v1/runs", {"processName": "Python Load", "processType": "Load", "sources": ["Lahman"]}, key="py-1")
steps["start"] = status
run_id = body["run"]["processTrackingId"]
steps["retry"] = call("POST", "/api/v1/runs", {"processName": "Python Load", "processType": "Load", "sources": ["Lahman"]}, key="py-1")[1]["run"]["processTrackingId"] == run_id
steps["refused"] = call("POST", "/api/v1/runs", {"processName": "Python Load"})[1]["error"]["code"]
steps["heartbeat"] = call("POST", "/api/v1/runs/%d/heartbeat" % run_id)[0]
steps["count"] = call("PUT", "/api/v1/runs/%d/record-count" % run_id, {"count": 1234})[1]["run"]["recordCount"]
steps["extract"] = call("POST", "/api/v1/runs/%d/extracts" % run_id, {"filename": "teams.csv", "locationPath": "/data/py", "status": "ready"})[0]
steps["complete"] = call("POST", "/api/v1/runs/%d/complete" % run_id)[1]["run"]["status"]
steps["read"] = call("GET", "/api/v1/runs/%d" % run_id)[1]["run"]["extractCount"]
print(json.dumps(steps))
