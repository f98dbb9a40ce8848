Attribute VB_Name = "PerfEvalText"
' Pure VBA helpers (no xlwings, no Excel objects): tested under LibreOffice Basic.
Option Explicit

' Text from space-separated hexadecimal Unicode code points: PE_Text("4E2D 6587") is the word for "Chinese".
Public Function PE_Text(codes As String) As String
    Dim parts() As String, i As Long, s As String
    parts = Split(Trim(codes), " ")
    For i = LBound(parts) To UBound(parts)
        If Len(parts(i)) > 0 Then s = s & ChrW(CLng("&H" & parts(i)))
    Next i
    PE_Text = s
End Function
