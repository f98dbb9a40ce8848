"""Run with the system python3 (which has LibreOffice's uno): open a workbook in LibreOffice,
list the Basic modules its VBA importer found (with their source), and optionally call a Basic
function of the document. Prints JSON. Used by tests/test_addin.py."""
import json
import os
import sys

import uno

from lo_server import connect, prop, start_office  # the script's folder is on sys.path


def main():
    path, call = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
    proc, port = start_office()
    try:
        ctx = connect(port)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        args = [prop("Hidden", True), prop("MacroExecutionMode", 4)]
        if path.endswith(".xlam"):
            args.append(prop("FilterName", "Calc MS Excel 2007 VBA XML"))
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0, tuple(args))
        out = {"libraries": {}}
        libs = doc.BasicLibraries
        for lib in libs.getElementNames():
            libs.loadLibrary(lib)
            library = libs.getByName(lib)
            out["libraries"][lib] = {m: library.getByName(m) for m in library.getElementNames()}
        if call:
            script = doc.getScriptProvider().getScript(
                f"vnd.sun.star.script:{call['function']}?language=Basic&location=document")
            out["result"] = script.invoke(tuple(call["args"]), (), ())[0]
        doc.close(True)
        print(json.dumps(out, ensure_ascii=False))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
