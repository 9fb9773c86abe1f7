#!/usr/bin/env python3
"""Records `asl-validator-verdicts.jsonl`: npm asl-validator's verdict on small definitions.

Run once, with network access to npm, from the repository root:

    python3 tests/conformance/record_asl_validator.py /work/shared/tools

It validates the example and corpus definitions of the shared tools directory plus the
fixtures below with `asl-validate --json` (asl-validator 4.0.0, checkPaths and checkArn) and
writes each definition with the verdict. `expected_valid` is asl-validator's verdict except for
the fixtures in NOTES, where AWS (the reference) is known to reject what asl-validator accepts.
The Rust test `tests/it/asl_validate.rs` compares our verdicts with `expected_valid`, offline.
"""
import json
import os
import subprocess
import sys
import tempfile

P = lambda **kw: dict(Type="Pass", **kw)
T = lambda **kw: dict(Type="Task", Resource="arn:aws:states:::lambda:invoke", **kw)
def sm(states, start=None, **top):
    return dict(StartAt=start or next(iter(states)), States=states, **top)
X = {}
# --- valid
X["ok_retry_all_last"] = sm({"T": T(Retry=[{"ErrorEquals":["X"]},{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"MaxAttempts":0,"BackoffRate":1.5,"MaxDelaySeconds":10}], Catch=[{"ErrorEquals":["States.ALL"],"Next":"F"}], End=True), "F": {"Type":"Fail","Error":"E","Cause":"c"}})
X["ok_wait_timestamp_offset"] = sm({"W": {"Type":"Wait","Timestamp":"2024-01-01T10:00:00+02:00","End":True}})
X["ok_nested_parallel_map"] = sm({"P": {"Type":"Parallel","End":True,"Branches":[{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":P(End=True)}},"End":True}}}]}})
X["ok_jsonata_choice"] = sm({"C": {"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 1 %}","Next":"A","Assign":{"big":"{% true %}"},"Output":{"n":"{% $states.input.n %}"}}],"Default":"B"}, "A": {"Type":"Succeed"}, "B": {"Type":"Succeed"}}, QueryLanguage="JSONata")
X["ok_jsonpath_assign"] = sm({"A": P(Assign={"x.$":"$.a","y":1,"z.$":"States.Format('{}', $.b)"}, Next="B"), "B": P(Parameters={"x.$":"$x"}, End=True)})
X["ok_heartbeat_below_timeout"] = sm({"T": T(TimeoutSeconds=10, HeartbeatSeconds=5, End=True)})
X["ok_loop_with_exit"] = sm({"A": P(Next="C"), "C": {"Type":"Choice","Choices":[{"Variable":"$.done","BooleanEquals":True,"Next":"D"}],"Default":"A"}, "D": {"Type":"Succeed"}})
# --- invalid
X["bad_retry_all_not_last"] = sm({"T": T(Retry=[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}], End=True)})
X["bad_retry_all_mixed"] = sm({"T": T(Retry=[{"ErrorEquals":["States.ALL","X"]}], End=True)})
X["bad_catch_all_not_last"] = sm({"T": T(Catch=[{"ErrorEquals":["States.ALL"],"Next":"F"},{"ErrorEquals":["X"],"Next":"F"}], End=True), "F": {"Type":"Fail"}})
X["bad_backoff_below_one"] = sm({"T": T(Retry=[{"ErrorEquals":["X"],"BackoffRate":0.5}], End=True)})
X["bad_interval_zero"] = sm({"T": T(Retry=[{"ErrorEquals":["X"],"IntervalSeconds":0}], End=True)})
X["bad_max_attempts_negative"] = sm({"T": T(Retry=[{"ErrorEquals":["X"],"MaxAttempts":-1}], End=True)})
X["bad_heartbeat_not_below_timeout"] = sm({"T": T(TimeoutSeconds=10, HeartbeatSeconds=10, End=True)})
X["bad_timeout_zero"] = sm({"T": T(TimeoutSeconds=0, End=True)})
X["bad_timeout_and_path"] = sm({"T": T(TimeoutSeconds=5, TimeoutSecondsPath="$.t", End=True)})
X["bad_wait_two_fields"] = sm({"W": {"Type":"Wait","Seconds":5,"Timestamp":"2016-03-14T01:59:00Z","End":True}})
X["bad_wait_timestamp_space"] = sm({"W": {"Type":"Wait","Timestamp":"2016-03-14 01:59:00Z","End":True}})
X["bad_wait_timestamp_lowercase_t"] = sm({"W": {"Type":"Wait","Timestamp":"2016-03-14t01:59:00Z","End":True}})
X["bad_fail_error_and_errorpath"] = sm({"F": {"Type":"Fail","Error":"E","ErrorPath":"$.e"}})
X["bad_catch_next_missing"] = sm({"T": T(Catch=[{"ErrorEquals":["X"],"Next":"Nowhere"}], End=True)})
X["bad_choice_default_missing"] = sm({"C": {"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":True,"Next":"A"}],"Default":"Nowhere"}, "A": {"Type":"Succeed"}})
X["bad_branch_jumps_out"] = sm({"P": {"Type":"Parallel","Next":"After","Branches":[{"StartAt":"B","States":{"B":P(Next="After")}}]}, "After": {"Type":"Succeed"}})
X["bad_duplicate_name_nested"] = sm({"P": {"Type":"Parallel","Next":"A","Branches":[{"StartAt":"A","States":{"A":P(End=True)}}]}, "A": {"Type":"Succeed"}})
X["bad_state_name_too_long"] = sm({"S"*81: {"Type":"Succeed"}})
X["bad_jsonata_variable_rule"] = sm({"C": {"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":True,"Next":"A"}],"Default":"A"}, "A": {"Type":"Succeed"}}, QueryLanguage="JSONata")
X["bad_jsonpath_condition"] = sm({"C": {"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"A"}],"Default":"A"}, "A": {"Type":"Succeed"}})
X["bad_jsonata_inputpath"] = sm({"A": P(InputPath="$.x", End=True)}, QueryLanguage="JSONata")
X["bad_jsonpath_output"] = sm({"A": P(Output={"x":1}, End=True)})
X["bad_jsonpath_state_in_jsonata_machine"] = sm({"A": P(QueryLanguage="JSONPath", End=True)}, QueryLanguage="JSONata")
X["bad_map_items_and_itemspath"] = sm({"M": {"Type":"Map","ItemsPath":"$.xs","Items":[1],"ItemProcessor":{"StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_map_parameters_and_itemselector"] = sm({"M": {"Type":"Map","Parameters":{"a":1},"ItemSelector":{"a":1},"ItemProcessor":{"StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_tolerated_percentage_150"] = sm({"M": {"Type":"Map","ToleratedFailurePercentage":150,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_dollar_value_not_a_path"] = sm({"A": P(Parameters={"x.$":"foo"}, End=True)})
X["bad_resultpath_not_a_path"] = sm({"A": P(ResultPath="foo", End=True)})
X["bad_succeed_with_assign"] = sm({"A": {"Type":"Succeed","Assign":{"x":1}}})
X["bad_choice_with_parameters"] = sm({"C": {"Type":"Choice","Parameters":{"a":1},"Choices":[{"Variable":"$.x","IsPresent":True,"Next":"A"}],"Default":"A"}, "A": {"Type":"Succeed"}})
X["bad_parallel_no_branches"] = sm({"P": {"Type":"Parallel","Branches":[],"End":True}})
X["bad_unreachable_in_branch"] = sm({"P": {"Type":"Parallel","End":True,"Branches":[{"StartAt":"A","States":{"A":P(End=True),"B":P(End=True)}}]}})
X["bad_branch_without_terminal"] = sm({"P": {"Type":"Parallel","End":True,"Branches":[{"StartAt":"A","States":{"A":P(Next="B"),"B":P(Next="A")}}]}})
X["bad_map_label_with_space"] = sm({"M": {"Type":"Map","Label":"my label","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_distributed_without_execution_type"] = sm({"M": {"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_item_processor_query_language"] = sm({"M": {"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"I","States":{"I":P(End=True)}},"End":True}})
X["bad_jsonata_items_unwrapped"] = sm({"M": {"Type":"Map","Items":"$states.input.xs","ItemProcessor":{"StartAt":"I","States":{"I":P(End=True)}},"End":True}}, QueryLanguage="JSONata")
X["bad_jsonpath_timeout_expression"] = sm({"T": T(TimeoutSeconds="{% 5 %}", End=True)})
X["bad_assign_variable_name"] = sm({"A": P(Assign={"1x":1}, End=True)})
X["bad_self_loop_only"] = sm({"A": P(Next="A")})
X["bad_jsonata_output_unterminated"] = sm({"A": P(Output="{% $states.input", End=True)}, QueryLanguage="JSONata")
X["bad_map_resource_writer_arn"] = sm({"M": {"Type":"Map","ItemReader":{"Resource":"s3:getObject"},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":P(End=True)}},"End":True}})

NOTES = {
 "bad_assign_variable_name": "asl-validator does not check variable names; `1x` cannot be referenced as `$1x` (our rule: letters, digits and `_`, not starting with a digit; not verified against AWS)",
 "bad_backoff_below_one": "the ASL spec requires BackoffRate >= 1.0; asl-validator does not check it",
 "bad_catch_all_not_last": "the ASL spec requires States.ALL in the last catcher; asl-validator does not check it",
 "bad_retry_all_mixed": "the ASL spec requires States.ALL to stand alone in ErrorEquals; asl-validator does not check it",
 "bad_retry_all_not_last": "the ASL spec requires States.ALL in the last retrier; asl-validator does not check it",
 "bad_heartbeat_not_below_timeout": "the ASL spec and AWS docs require HeartbeatSeconds < TimeoutSeconds; asl-validator does not check it",
 "bad_interval_zero": "the ASL spec requires IntervalSeconds to be a positive integer; asl-validator does not check it",
 "bad_item_processor_query_language": "AWS rejects QueryLanguage on ItemProcessor/Iterator (\"Field 'QueryLanguage' is not supported\", measured with ValidateStateMachineDefinition); asl-validator accepts it",
 "bad_jsonpath_state_in_jsonata_machine": "AWS documents that a JSONata state machine cannot contain JSONPath states; asl-validator accepts it",
 "bad_map_label_with_space": "AWS's label rules forbid white space (INVALID_LABEL_NAME); asl-validator does not check labels",
 "bad_map_resource_writer_arn": "an ItemReader Resource must be an ARN; asl-validator does not check ItemReader",
 "bad_parallel_no_branches": "our rule: a Parallel state needs at least one branch (not verified against AWS); asl-validator accepts an empty Branches",
 "bad_wait_timestamp_lowercase_t": "the ASL spec requires an uppercase T; asl-validator does not check Timestamp literals",
 "bad_wait_timestamp_space": "the ASL spec requires RFC 3339 with an uppercase T; asl-validator does not check Timestamp literals",
}


def main():
    tools = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/tools"
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asl-validator-verdicts.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        defs = dict(X)
        for sub, prefix in (("examples", ""), ("corpus", "corpus__")):
            folder = os.path.join(tools, sub)
            for name in sorted(os.listdir(folder)):
                if not name.endswith(".json") or name.endswith((".in.json", ".mock.json")):
                    continue
                if name in ("in1.json", "mocks.json"):
                    continue
                with open(os.path.join(folder, name)) as f:
                    defs[prefix + name[:-5]] = json.load(f)
        files = []
        for name, definition in sorted(defs.items()):
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as f:
                json.dump(definition, f)
            files.append(path)
        run = subprocess.run([os.path.join(tools, "asl-validate"), "--json", *files],
                             capture_output=True, text=True)
        with open(out_path, "w") as out:
            for line in run.stdout.splitlines():
                verdict = json.loads(line)
                name = os.path.basename(verdict["file"])[:-5]
                record = {
                    "name": name,
                    "definition": defs[name],
                    "asl_validator": {
                        "valid": verdict["isValid"],
                        "codes": sorted({e["code"] for e in verdict["errors"]}),
                    },
                    "expected_valid": verdict["isValid"] if name not in NOTES else False,
                }
                if name in NOTES:
                    record["note"] = NOTES[name]
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
