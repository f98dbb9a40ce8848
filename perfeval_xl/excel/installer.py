"""The texts of the offline bundle: 安装.cmd, 卸载.cmd and 安装说明.txt.

The .cmd files are CRLF and encoded GBK (code page 936), with every command line in ASCII and
Chinese only in ``echo`` lines: cmd.exe reads a batch file in the console code page, which is
936 on Chinese Windows; ``chcp 65001`` would change the console for the rest of the session,
has mis-parsed batch files on older builds, and Wine ignores it. Every step is followed by
``if errorlevel 1`` rather than ``&&`` / ``||``: Wine runs the right side of those whatever the
exit code. No step sits inside a parenthesised block, so a bundle folder named ``离线 安装 (2)``
cannot close one early. The folder is read as ``%HERE%`` (``%~dp0`` taken once, at the top).
"""
from __future__ import annotations

from perfeval_xl.excel.addin_build import ADDIN_NAME

INSTALL_CMD, UNINSTALL_CMD, README_TXT = "安装.cmd", "卸载.cmd", "安装说明.txt"
HOME = r"%LOCALAPPDATA%\perfeval-xl"
LAUNCHER = HOME + r"\perfeval-xl.cmd"
# One wording for the python.org installer (only with --system-python): its first page.
PYTHON_ORG_STEPS = "在 python.org 安装程序首页取消勾选“Use admin privileges when installing py.exe”，再点“Install Now”（仅为当前用户安装，无需管理员权限）"


def _check(pythons: list[str]) -> str:
    """Exit 0 only on a 64-bit CPython of a version the bundle has wheels for."""
    versions = ",".join(f"({p.replace('.', ',')})" for p in pythons)
    return f"import sys,struct; sys.exit(0 if sys.version_info[:2] in ({versions},) and struct.calcsize('P')==8 else 1)"


def _newest_first(pythons: list[str]) -> list[str]:
    return sorted(pythons, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def install_cmd(pythons: list[str], pip_wheel: str) -> list[str]:
    """``pip_wheel``: the file name of pip's wheel in wheels/ (named, not globbed: Wine's ``for``
    matches no quoted wildcard, and the bundle folder's path must be quoted)."""
    versions = "、".join(_newest_first(pythons))
    return [
        "@echo off",
        "rem perfeval-xl offline installer: no admin rights, nothing downloaded, no Python needed.",
        "rem GBK (code page 936) and CRLF; commands ASCII, Chinese only in echo lines; no && or ||",
        "rem (Wine runs their right side whatever the exit code): if errorlevel 1 after each step.",
        "setlocal EnableExtensions",
        'set "HERE=%~dp0"',
        f'set "HOME_DIR={HOME}"',
        f'set "CHECK={_check(pythons)}"',
        'set "PY="',
        'if /i "%~1"=="--system-python" goto system',
        "rem The Python of this folder, newest first: the first that starts on this PC is copied.",
        *[f"call :runtime {v}" for v in _newest_first(pythons)],
        "if not defined PY goto noruntime",
        "echo 正在安装本文件夹自带的 Python %RT%（仅为当前用户，无需管理员权限）：",
        "echo %HOME_DIR%\\python",
        'if exist "%HOME_DIR%\\python" rmdir /s /q "%HOME_DIR%\\python"',
        "rem mkdir first: Wine's xcopy /i reports 4 (path not found) for a new folder it did create.",
        'mkdir "%HOME_DIR%\\python"',
        "if errorlevel 1 goto failed",
        'xcopy "%HERE%python\\%RT%" "%HOME_DIR%\\python" /e /q /y >nul',
        "if errorlevel 1 goto failed",
        'set "PY=%HOME_DIR%\\python\\python.exe"',
        'set "PYW=%HOME_DIR%\\python\\pythonw.exe"',
        'set "LAUNCH=python\\python.exe"',
        f'set "PIPWHL=%HERE%wheels\\{pip_wheel}"',
        'if not exist "%PIPWHL%" goto failed',
        "echo 正在从本文件夹安装（不联网）……",
        "rem pip runs from its own wheel: the embeddable Python has no pip.",
        '"%PY%" "%PIPWHL%\\pip" install -q --disable-pip-version-check --no-warn-script-location --no-index --find-links "%HERE%wheels" perfeval-xl pip',
        "if errorlevel 1 goto failed",
        "goto addin",
        ":system",
        "rem An installed 64-bit Python the wheels fit: py launcher, registry (PEP 514), usual folders.",
        *[f"call :try py -{v}-64" for v in _newest_first(pythons)],
        "for %%H in (HKCU HKLM) do for /f \"delims=\" %%K in ('reg query \"%%H\\Software\\Python\\PythonCore\" /reg:64 2^>nul ^| find \"PythonCore\\3.\"') do call :regtry \"%%K\"",
        'call :folder "%LOCALAPPDATA%\\Programs\\Python"',
        'call :folder "%ProgramFiles%"',
        "if not defined PY goto nopython",
        "echo 使用已安装的 Python：%PY%",
        'if exist "%HOME_DIR%\\venv" rmdir /s /q "%HOME_DIR%\\venv"',
        "echo 正在创建独立的 Python 环境：%HOME_DIR%\\venv",
        '%PY% -m venv "%HOME_DIR%\\venv"',
        "if errorlevel 1 goto failed",
        'set "PY=%HOME_DIR%\\venv\\Scripts\\python.exe"',
        'set "PYW=%HOME_DIR%\\venv\\Scripts\\pythonw.exe"',
        'set "LAUNCH=venv\\Scripts\\python.exe"',
        "echo 正在从本文件夹安装（不联网）……",
        '"%PY%" -m pip install -q --disable-pip-version-check --no-warn-script-location --no-index --find-links "%HERE%wheels" perfeval-xl',
        "if errorlevel 1 goto failed",
        ":addin",
        '"%PY%" -m perfeval_xl.cli addin install --bundle "%HERE%." --interpreter "%PYW%"',
        "if errorlevel 1 goto failed",
        "rem The command line for IT: ASCII, relative to its own folder.",
        '> "%HOME_DIR%\\perfeval-xl.cmd" echo @"%%~dp0%LAUNCH%" -m perfeval_xl.cli %%*',
        "if errorlevel 1 goto failed",
        "echo 安装完成。请关闭并重新打开 Excel，功能区将出现“绩效自评”选项卡。",
        "echo 命令行工具：%HOME_DIR%\\perfeval-xl.cmd",
        "pause",
        "exit /b 0",
        ":noruntime",
        "echo 本文件夹中的 Python 无法运行（python 文件夹缺失或不完整）。请重新复制完整的安装文件夹；",
        f"echo 或由信息科安装 python.org 的 64 位 Python（{versions} 之一）后运行：{INSTALL_CMD} --system-python",
        "pause",
        "exit /b 1",
        ":nopython",
        f"echo 未找到可用的 64 位 Python（{versions} 之一）。请联系信息科安装 python.org 的 Windows 64 位安装包：",
        f"echo {PYTHON_ORG_STEPS}；",
        f"echo 或不加 --system-python 运行{INSTALL_CMD}，使用本文件夹自带的 Python。",
        "pause",
        "exit /b 1",
        ":failed",
        "echo 安装未完成。若 Excel 仍在运行，请关闭 Excel 后重新运行；否则请把本窗口的内容截图发给信息科。",
        "pause",
        "exit /b 1",
        ":runtime",
        "if defined PY exit /b 0",
        'if not exist "%HERE%python\\%1\\python.exe" exit /b 0',
        '"%HERE%python\\%1\\python.exe" -c "%CHECK%" >nul 2>&1',
        "if errorlevel 1 exit /b 0",
        'set "PY=%HERE%python\\%1\\python.exe"',
        'set "RT=%1"',
        "exit /b 0",
        ":try",
        "if defined PY exit /b 0",
        '%* -c "%CHECK%" >nul 2>&1',
        "if errorlevel 1 exit /b 0",
        'set "PY=%*"',
        "exit /b 0",
        ":regtry",
        "if defined PY exit /b 0",
        "for /f \"tokens=2*\" %%A in ('reg query \"%~1\\InstallPath\" /v ExecutablePath /reg:64 2^>nul ^| find \"REG_SZ\"') do call :try \"%%B\"",
        "exit /b 0",
        "rem Python3* folders; the pattern unquoted in the folder itself (Wine's for matches no quoted wildcard).",
        ":folder",
        "if defined PY exit /b 0",
        'if not exist "%~1" exit /b 0',
        'pushd "%~1"',
        'for /d %%D in (Python3*) do call :try "%%~fD\\python.exe"',
        "popd",
        "exit /b 0",
    ]


def uninstall_cmd() -> list[str]:
    return [
        "@echo off",
        "rem perfeval-xl uninstaller: removes the add-in, its config and the private Python.",
        "setlocal EnableExtensions",
        f'set "HOME_DIR={HOME}"',
        'set "PY=%HOME_DIR%\\python\\python.exe"',
        'if not exist "%PY%" set "PY=%HOME_DIR%\\venv\\Scripts\\python.exe"',
        'if exist "%PY%" "%PY%" -m perfeval_xl.cli addin uninstall',
        'if exist "%HOME_DIR%" rmdir /s /q "%HOME_DIR%"',
        "echo 已卸载。请重新启动 Excel。",
        "pause",
    ]


def readme_text(pythons: list[str]) -> str:
    versions = "、".join(_newest_first(pythons))
    return f"""绩效自评 Excel 加载项 离线安装说明
=====================================

一、需要什么
1. Excel 2016 或更新版本（Windows 版，32 位或 64 位均可）。WPS 不能运行本加载项（可直接用模板填报）。
2. 不需要另装 Python：本文件夹自带 Python（python 文件夹，python.org 官方嵌入式版本 {versions}），
   安装时只复制到当前用户的文件夹，不需要管理员权限，不影响电脑上已有的 Python。

二、安装（每个用户一次，不联网，无需管理员权限）
1. 关闭 Excel。
2. 双击本文件夹中的“{INSTALL_CMD}”。它会：
   - 把自带的 Python 复制到 {HOME}\\python（只为当前用户）；
   - 从本文件夹的 wheels 安装本工具及其依赖（不联网）；
   - 写入配置文件 %USERPROFILE%\\.perfeval\\perfeval.conf（只含英文字符，路径写成 %LOCALAPPDATA% 形式，
     用户名是中文也能正常使用）；
   - 把“{ADDIN_NAME}”复制到 Excel 启动文件夹 %APPDATA%\\Microsoft\\Excel\\XLSTART；
   - 生成命令行工具 {LAUNCHER}（信息科或财政局用，如 perfeval-xl.cmd validate 文件.xlsx）。
3. 打开 Excel，功能区出现“绩效自评”选项卡即安装成功。
4. 已装好 Python 的电脑也可以用已有的 Python：运行“{INSTALL_CMD} --system-python”。需要 64 位 Python
   （{versions} 之一）；如需新装，{PYTHON_ORG_STEPS}。

三、Excel 和安全软件的设置
1. 本加载项含未签名的宏。如果 Excel 提示“宏已被禁用”，请在
   文件 → 选项 → 信任中心 → 信任中心设置 → 受信任位置 中确认 XLSTART 文件夹在列表内
   （默认在列表内）；或由信息科将“宏设置”设为“禁用所有宏，并发出通知”后点“启用内容”。
2. 微软 Defender 的“攻击面减少规则”（ASR）中有两条会停用本加载项：
   - “阻止所有 Office 应用程序创建子进程”（Block all Office applications from creating child processes）：
     加载项无法启动 Python，点按钮时提示“无法启动 Python”；
   - “阻止从 Office 宏调用 Win32 API”（Block Win32 API calls from Office macros）：加载项的宏
     声明了 Windows 函数（Declare … Lib，用于连接 Python），Defender 会拦截，屏幕右下角弹出
     “已阻止”的安全通知，“绩效自评”选项卡的按钮不能用。
   两条规则都不影响填报：模板中的得分、总分、等次等单元格用 Excel 自带公式计算，照常显示。
   若需使用加载项，请信息科把 %APPDATA%\\Microsoft\\Excel\\XLSTART\\{ADDIN_NAME} 加入该规则的排除项
   （ASR 规则的“文件和文件夹排除”），或把规则设为“审核”。
3. 其他杀毒软件若提示 .xlam 文件可疑，请信息科将其加入白名单。

四、卸载
双击“{UNINSTALL_CMD}”，它删除加载项、配置文件和 {HOME}（含自带的 Python）。

五、常见问题
- 点按钮提示“请先打开要处理的工作簿”：先打开或新建一个工作簿再点。
- 提示“无法启动 Python”：点“设置”查看 Python 路径，或重新运行“{INSTALL_CMD}”；若 Defender 开启了
  上面第三部分的规则，请信息科处理。此时单元格仍用 Excel 自带公式显示得分。
- 自己输入的 PE_ 函数显示 #NAME?：加载项未加载或宏被禁用，见第三部分（模板中的得分单元格不受影响）。
"""
