"""Run with the system python3 (which has LibreOffice's uno): one headless soffice for a whole
test session, driven over UNO. Reads one JSON request per line on stdin, answers one JSON line
on stdout. Used by tests/lo_engine.py.

Requests:
  {"op": "recalc", "path": "/abs/book.xlsx", "cells": [["附件2", "J12"], ...]}
      open the book, recalculate everything, return the listed cells' values
  {"op": "scan", "path": "/abs/book.xlsx"}
      open, recalculate, return every formula cell: [sheet, address, value]
  {"op": "pdf", "path": "/abs/book.xlsx", "out": "/abs/book.pdf"}
      open (a workbook recalculated, or a text document) and store it as PDF
  {"op": "convert", "path": "/abs/book.xlsx", "out": "/abs/book.pdf", "recalc": false}
      what ``soffice --convert-to`` writes (pdf, xlsx), after recalculating everything if asked
  {"op": "basic", "path": "/abs/book.xlsm", "call": {"function": "Lib.Module.F", "args": [...]} or null}
      the Basic modules LibreOffice's VBA importer found, and the result of calling one function
  {"op": "quit"}
Values: numbers as floats, text as strings, an error cell as {"error": code}.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(1200):  # 2 minutes
        try:
            return resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        except Exception:
            time.sleep(0.1)
    raise SystemExit("LibreOffice did not start")


def column_letters(n):
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def value_of(cell):
    if cell.getError():
        return {"error": cell.getError()}
    if cell.getType().value == "TEXT":
        return cell.getString()
    if cell.getType().value == "FORMULA":
        # a formula's result is text when its string differs from the number's rendering
        result = cell.FormulaResultType2
        if result == 2:  # com.sun.star.sheet.FormulaResult.STRING
            return cell.getString()
        return cell.getValue()
    if cell.getType().value == "EMPTY":
        return None
    return cell.getValue()


FORMULA_ERROR = 4  # com.sun.star.sheet.FormulaResult.ERROR


def load(desktop, path, *props):
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True), *props))
    if doc is None:  # LibreOffice says no more than this
        raise RuntimeError(f"LibreOffice returned no document for {path}")
    return doc


def open_recalculated(desktop, path):
    doc = load(desktop, path)
    doc.calculateAll()
    return doc


def recalc(desktop, path, cells):
    doc = open_recalculated(desktop, path)
    try:
        sheets = doc.Sheets
        return [value_of(sheets.getByName(s).getCellRangeByName(a)) for s, a in cells]
    finally:
        doc.close(True)


def scan(desktop, path):
    """Every formula cell: the values in one call per sheet (a call per cell took seconds for the
    thousands of helper cells), the few error cells found by LibreOffice's own query."""
    doc = open_recalculated(desktop, path)
    out = []
    try:
        for sheet in doc.Sheets:
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            rows, cols = cursor.RangeAddress.EndRow + 1, cursor.RangeAddress.EndColumn + 1
            data = sheet.getCellRangeByPosition(0, 0, cols - 1, rows - 1)
            formulas, values = data.getFormulaArray(), data.getDataArray()
            errors = {}
            for area in data.queryFormulaCells(FORMULA_ERROR).getRangeAddresses():
                for r in range(area.StartRow, area.EndRow + 1):
                    for c in range(area.StartColumn, area.EndColumn + 1):
                        errors[r, c] = {"error": sheet.getCellByPosition(c, r).getError()}
            for r in range(rows):
                for c in range(cols):
                    if str(formulas[r][c]).startswith("="):
                        out.append([sheet.Name, f"{column_letters(c)}{r + 1}", errors.get((r, c), values[r][c])])
        return out
    finally:
        doc.close(True)


# What ``soffice --convert-to`` uses (perfeval_xl/office.py), per kind of document.
FILTERS = {("calc", "pdf"): "calc_pdf_Export", ("calc", "xlsx"): "Calc MS Excel 2007 XML",
           ("writer", "pdf"): "writer_pdf_Export"}
# Loaded books keep their cached values unless a request recalculates (office.py's recalc=False).
# Never recalculate on load (the tests ask for it), and no document locks: each pytest-xdist
# worker has its own soffice, and they open the same committed books at once; with locks the
# second load returned no document while the first was open.
SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseDocumentOOoLockFile" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseDocumentSystemFileLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def convert(desktop, path, out, recalc):
    doc = open_recalculated(desktop, path) if recalc else load(desktop, path)
    try:
        kind = "calc" if doc.supportsService("com.sun.star.sheet.SpreadsheetDocument") else "writer"
        fmt = os.path.splitext(out)[1][1:]
        doc.storeToURL(uno.systemPathToFileUrl(out), (prop("FilterName", FILTERS[kind, fmt]),))
        return out
    finally:
        doc.close(True)


def to_pdf(desktop, path, out):
    """A workbook recalculated, or a text document, as PDF at ``out``."""
    return convert(desktop, os.path.abspath(path), os.path.abspath(out), recalc=not path.endswith(".docx"))


def basic(desktop, path, call):
    """The document's Basic libraries (LibreOffice's import of its VBA), and one call's result."""
    props = [prop("MacroExecutionMode", 4)]
    if path.endswith(".xlam"):
        props.append(prop("FilterName", "Calc MS Excel 2007 VBA XML"))
    doc = load(desktop, path, *props)
    try:
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
        return out
    finally:
        doc.close(True)


def start_office(profile):
    """One headless soffice in the throwaway ``profile``, listening on a free loopback port."""
    user = os.path.join(profile, "user")
    os.makedirs(user)
    with open(os.path.join(user, "registrymodifications.xcu"), "w", encoding="utf-8") as fh:
        fh.write(SETTINGS)
    port = free_port()
    proc = subprocess.Popen(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                             "--norestore", f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def main():
    profile = tempfile.mkdtemp(prefix="lo-uno-")
    proc, port = start_office(profile)
    try:
        ctx = connect(port)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            req = json.loads(line)
            try:
                if req["op"] == "quit":
                    break
                if req["op"] == "recalc":
                    answer = {"values": recalc(desktop, req["path"], req["cells"])}
                elif req["op"] == "pdf":
                    answer = {"pdf": to_pdf(desktop, req["path"], req["out"])}
                elif req["op"] == "scan":
                    answer = {"cells": scan(desktop, req["path"])}
                elif req["op"] == "convert":
                    answer = {"path": convert(desktop, req["path"], req["out"], req["recalc"])}
                elif req["op"] == "basic":
                    answer = basic(desktop, req["path"], req["call"])
                else:
                    answer = {"failure": f"unknown op {req['op']}"}
            except Exception as exc:  # report, keep serving
                answer = {"failure": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer, ensure_ascii=False), flush=True)
        try:
            desktop.terminate()
        except Exception:
            pass
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
