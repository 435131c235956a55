#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate tcpdoctor JSON output against schema/tcpdoctor.schema.json.

Usage: validate.py FILE                  one JSON document
       validate.py --ndjson FILE         one socket object per line
       validate.py --ndjson=DEF FILE     one object per line of schema $defs/DEF
Prints the first error and exits 1 when the output does not conform, 0
when it does, 2 when the file is not JSON at all.
"""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schema", "tcpdoctor.schema.json")


def main():
    args = sys.argv[1:]
    ndjson = args and args[0].startswith("--ndjson")
    linedef = "ndjson_socket"
    if ndjson:
        if "=" in args[0]:
            linedef = args[0].split("=", 1)[1]
        args = args[1:]
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    sub = None
    if ndjson:
        sub = dict(schema)
        sub.pop("allOf")
        sub["$ref"] = "#/$defs/" + linedef
        validator = jsonschema.Draft202012Validator(sub)
    with open(args[0]) as f:
        text = f.read()
    try:
        docs = [json.loads(l) for l in text.splitlines() if l.strip()] if ndjson else [json.loads(text)]
    except ValueError as e:
        print("validate: %s: not JSON: %s" % (args[0], e))
        sys.exit(2)
    for i, d in enumerate(docs):
        err = jsonschema.exceptions.best_match(validator.iter_errors(d))
        if err is not None:
            where = "/".join(str(p) for p in err.absolute_path)
            print("validate: %s%s: %s at /%s" % (args[0], " line %d" % (i + 1) if ndjson else "",
                                                err.message[:300], where))
            sys.exit(1)
    print("# %s: %d document(s) conform" % (args[0], len(docs)))


if __name__ == "__main__":
    main()
