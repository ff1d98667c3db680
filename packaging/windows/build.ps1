# Build the Windows installer on a Windows CI runner (windows-latest: Python 3.11+ and
# Inno Setup 6 preinstalled; otherwise `choco install innosetup`). Run from the repository
# root, unchanged:  pwsh packaging/windows/build.ps1
# Produces dist\Fieldnote\ (onedir) and dist\Fieldnote-<version>-setup.exe, and fails if
# the frozen build's self-check fails.
$ErrorActionPreference = "Stop"
python -m venv .venv
.\.venv\Scripts\python -m pip install --upgrade pip
.\.venv\Scripts\python -m pip install -e ".[package]"
.\.venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\fieldnote.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# The windowed build has no console: the self-check writes %TEMP%\fieldnote-self-check.txt.
$env:QT_QPA_PLATFORM = "offscreen"
$check = Start-Process -FilePath "dist\Fieldnote\Fieldnote.exe" -ArgumentList "--self-check" -Wait -PassThru
Get-Content "$env:TEMP\fieldnote-self-check.txt"
if ($check.ExitCode -ne 0) { throw "The frozen build's self-check failed" }

$version = (.\.venv\Scripts\python -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])").Trim()
$iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
& $iscc "/DAppVersion=$version" packaging\windows\fieldnote.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
