# Sourced by the script tests that compare runs: readers of an output
# directory's files, one definition each.
#   strip FILE.csv    trials.csv without its timing columns (seconds_sum on)
#   tasks OUT         the number of task lines in OUT/trials.jsonl (0 if none)
#   dups OUT          how many (trial, fold) appear more than once in it
#   test_metrics OUT  the final model's "test" object of OUT/summary.json
strip() { cut -d, -f1-$(( $(head -1 "$1" | tr ',' '\n' | grep -n '^seconds_sum$' | cut -d: -f1) - 1 )) "$1"; }
tasks() { [ -f "$1/trials.jsonl" ] && echo $(( $(wc -l < "$1/trials.jsonl") - 1 )) || echo 0; }
dups() { grep -o '^{"trial":[0-9]*,"fold":[0-9]*' "$1/trials.jsonl" | sort | uniq -d | wc -l; }
test_metrics() { grep -o '"test":{[^}]*}' "$1/summary.json"; }
