Attribute VB_Name = "PerfEval"
' perfeval-xl ribbon callbacks. All logic is Python (perfeval_xl.excel.ribbon); this module only
' forwards the button id. VBA source is stored in code page 1252, so the Chinese texts the
' dialogs show are written as Unicode code points and decoded by PE_Text (module PerfEvalText);
' perfeval_xl/excel/addin_build.py (VBA_TEXTS) checks each against its Chinese text.
Option Explicit

' The ribbon has loaded, i.e. the add-in has just opened: give the PE_* functions their Chinese
' descriptions in Excel's function wizard (a ribbon callback: the project has no auto-run macro).
Public Sub PE_RibbonLoad(ribbon As IRibbonUI)
    PE_RegisterDescriptions
End Sub

' Every button of the ribbon tab except Settings: hand the button id to Python. The config sets
' USE UDF SERVER, so the handler runs in the Python process that already serves the worksheet
' functions (no start-up, no imports), and the sheets' used ranges and the defined names arrive
' in one call (PE_BookMap) instead of hundreds of cross-process calls.
Public Sub PE_OnAction(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then
        ' "Open the workbook to work on (or create one) first, then press this button."
        MsgBox PE_Text("8BF7 5148 6253 5F00 8981 5904 7406 7684 5DE5 4F5C 7C3F FF08 6216 65B0 5EFA 4E00 4E2A FF09 FF0C 518D 70B9 6B64 6309 94AE 3002"), _
               vbExclamation, PE_Text("7EE9 6548 81EA 8BC4")
        Exit Sub
    End If
    On Error GoTo failed
    XLPy.SetAttr XLPy.Module("perfeval_xl.excel.ribbon"), "BOOK_MAP", PE_BookMap(ActiveWorkbook)
    RunPython "import perfeval_xl.excel.ribbon as r; r.on_button('" & control.ID & "')"
    Exit Sub
failed:
    ' "Cannot start Python; press Settings to check the Python path, or run the installer again. Details:"
    MsgBox PE_Text("65E0 6CD5 542F 52A8 20 50 79 74 68 6F 6E FF0C 8BF7 70B9 201C 8BBE 7F6E 201D 68C0 67E5 20 50 79 74 68 6F 6E 20 8DEF 5F84 FF0C 6216 91CD 65B0 8FD0 884C 20 5B89 88C5 2E 63 6D 64 3002 8BE6 7EC6 4FE1 606F FF1A") _
           & vbCrLf & Err.Description, vbCritical, PE_Text("7EE9 6548 81EA 8BC4")
End Sub

' Settings: ask for the Python interpreter and store it in the user's config file
' (%USERPROFILE%\.perfeval\perfeval.conf). Pure VBA, and it reads only that file (source "user"),
' so it works before Python is found and with no workbook open.
Public Sub PE_Settings(control As IRibbonControl)
    Dim current As String, answer As String
    GetConfigFromFile GetConfigFilePath(), "INTERPRETER_WIN", current
    ' Prompt: full path of the Python interpreter (pythonw.exe); title: the tab's name.
    answer = InputBox(PE_Text("8BF7 8F93 5165 20 50 79 74 68 6F 6E 20 89E3 91CA 5668 FF08 70 79 74 68 6F 6E 77 2E 65 78 65 FF09 7684 5B8C 6574 8DEF 5F84 FF1A"), _
                      PE_Text("7EE9 6548 81EA 8BC4"), current)
    If answer = "" Then Exit Sub
    If SaveConfigToFile(GetConfigFilePath(), "INTERPRETER_WIN", answer) Then
        ' "Saved."
        MsgBox PE_Text("5DF2 4FDD 5B58 3002"), vbInformation, PE_Text("7EE9 6548 81EA 8BC4")
    End If
End Sub

' What a button's Python handler needs to find its cells, gathered inside Excel: one row per
' worksheet ("sheet", name, used range) and one per defined name ("name", Name, RefersTo).
Public Function PE_BookMap(wb As Workbook) As Variant
    Dim rows() As Variant, n As Long, sht As Worksheet, nm As Name
    ReDim rows(1 To wb.Worksheets.Count + wb.Names.Count, 1 To 3)
    For Each sht In wb.Worksheets
        n = n + 1
        rows(n, 1) = "sheet"
        rows(n, 2) = sht.Name
        rows(n, 3) = sht.UsedRange.Address
    Next sht
    For Each nm In wb.Names
        n = n + 1
        rows(n, 1) = "name"
        rows(n, 2) = nm.Name
        rows(n, 3) = nm.RefersTo
    Next nm
    PE_BookMap = rows
End Function
