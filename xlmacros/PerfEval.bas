Attribute VB_Name = "PerfEval"
' perfeval-xl ribbon callbacks. All logic is Python (perfeval_xl.excel.ribbon); this module only
' forwards the button id. VBA source is stored in code page 1252, so the few Chinese texts the
' settings dialog shows are written as Unicode code points and decoded by PE_Text
' (module PerfEvalText); perfeval_xl/excel/addin_build.py checks each against its Chinese text.
Option Explicit

' Every button of the ribbon tab except Settings: hand the button id to Python.
Public Sub PE_OnAction(control As IRibbonControl)
    RunPython "import perfeval_xl.excel.ribbon as r; r.on_button('" & control.ID & "')"
End Sub

' Settings: ask for the Python interpreter and store it where the xlwings module reads it
' (%USERPROFILE%\.perfeval\perfeval.conf). Pure VBA, so it works before Python is found.
Public Sub PE_Settings(control As IRibbonControl)
    Dim current As String, answer As String
    current = GetConfig("INTERPRETER_WIN", "")
    ' Prompt: full path of the Python interpreter (pythonw.exe); title: the tab's name.
    answer = InputBox(PE_Text("8BF7 8F93 5165 20 50 79 74 68 6F 6E 20 89E3 91CA 5668 FF08 70 79 74 68 6F 6E 77 2E 65 78 65 FF09 7684 5B8C 6574 8DEF 5F84 FF1A"), _
                      PE_Text("7EE9 6548 81EA 8BC4"), current)
    If answer = "" Then Exit Sub
    If SaveConfigToFile(GetConfigFilePath(), "INTERPRETER_WIN", answer) Then
        ' "Saved."
        MsgBox PE_Text("5DF2 4FDD 5B58 3002"), vbInformation, PE_Text("7EE9 6548 81EA 8BC4")
    End If
End Sub
