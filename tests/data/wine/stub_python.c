/* A stand-in python.exe for running 安装.cmd under Wine (tests/test_bundle.py compiles it with
 * x86_64-w64-mingw32-gcc at test time; no binary is committed).
 *
 * It records every call as one UTF-8 line in the file %STUB_LOG%: its own path, then each
 * argument, separated by tabs, so the test sees exactly what cmd.exe passed (spaces, 张三).
 * It exits 1 when an argument equals %STUB_FAIL%, or equals the first line of stub-fail.txt
 * beside the executable (a runtime that does not start), and 0 otherwise. Given
 * "-m perfeval_xl.cli ... --help" it prints a usage line, as the real command would; given
 * "-m venv DIR" it copies itself to DIR\Scripts\python.exe and pythonw.exe, as venv would.
 */
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

static void put_utf8(FILE *f, const wchar_t *s) {
    char buf[4096];
    int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, sizeof buf, NULL, NULL);
    if (n > 1) fwrite(buf, 1, n - 1, f);
}

static int fails_here(const wchar_t *self, const wchar_t *arg) {
    wchar_t path[MAX_PATH], want[256] = L"";
    const wchar_t *env = _wgetenv(L"STUB_FAIL");
    if (env && wcscmp(env, arg) == 0) return 1;
    wcsncpy(path, self, MAX_PATH - 20);
    path[MAX_PATH - 20] = 0;
    wchar_t *slash = wcsrchr(path, L'\\');
    if (!slash) return 0;
    wcscpy(slash + 1, L"stub-fail.txt");
    FILE *f = _wfopen(path, L"r");
    if (!f) return 0;
    char line[256] = "";
    fgets(line, sizeof line, f);
    fclose(f);
    line[strcspn(line, "\r\n")] = 0;
    MultiByteToWideChar(CP_UTF8, 0, line, -1, want, 256);
    return wcscmp(want, arg) == 0;
}

static int make_venv(const wchar_t *self, const wchar_t *dir) {
    wchar_t path[MAX_PATH];
    wcsncpy(path, dir, MAX_PATH - 1);  /* venv makes the parent folder too */
    path[MAX_PATH - 1] = 0;
    wchar_t *slash = wcsrchr(path, L'\\');
    if (slash) { *slash = 0; CreateDirectoryW(path, NULL); }
    CreateDirectoryW(dir, NULL);
    _snwprintf(path, MAX_PATH, L"%ls\\Scripts", dir);
    CreateDirectoryW(path, NULL);
    _snwprintf(path, MAX_PATH, L"%ls\\Scripts\\python.exe", dir);
    if (!CopyFileW(self, path, FALSE)) return 1;
    _snwprintf(path, MAX_PATH, L"%ls\\Scripts\\pythonw.exe", dir);
    return CopyFileW(self, path, FALSE) ? 0 : 1;
}

int wmain(int argc, wchar_t **argv) {
    wchar_t self[MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    const wchar_t *log = _wgetenv(L"STUB_LOG");
    if (log) {
        FILE *f = _wfopen(log, L"ab");
        if (f) {
            put_utf8(f, self);
            for (int i = 1; i < argc; i++) { fputc('\t', f); put_utf8(f, argv[i]); }
            fputc('\n', f);
            fclose(f);
        }
    }
    int help = 0;
    for (int i = 1; i < argc; i++) {
        if (fails_here(self, argv[i])) return 1;
        if (wcscmp(argv[i], L"--help") == 0) help = 1;
    }
    if (argc == 4 && wcscmp(argv[1], L"-m") == 0 && wcscmp(argv[2], L"venv") == 0)
        return make_venv(self, argv[3]);
    if (argc > 2 && wcscmp(argv[1], L"-m") == 0 && wcscmp(argv[2], L"perfeval_xl.cli") == 0 && help)
        printf("usage: perfeval-xl [-h] {score,validate,report,export,verify,collect,bundle,...}\n");
    return 0;
}
