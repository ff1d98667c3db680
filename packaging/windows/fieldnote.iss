; Inno Setup script: a per-user install of the onedir build (dist\Fieldnote) that needs no
; administrator rights. Built on a Windows CI runner by packaging\windows\build.ps1:
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\fieldnote.iss
; Output: dist\Fieldnote-<version>-setup.exe
;
; Installs to %LOCALAPPDATA%\Programs\Fieldnote, adds a Start-menu entry (and, if asked, a
; desktop icon). The uninstaller removes the program only; the data folder
; (%LOCALAPPDATA%\Fieldnote: the encrypted store, its key information and config) is kept
; unless the user ticks "Also delete my Fieldnote data" when asked. Only unsent changes
; would be lost, so the question says so.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Fieldnote"
#define AppExe "Fieldnote.exe"
#define Root "..\.."

[Setup]
AppId={{6E0C9B0A-3F5B-4C8E-9B8A-6F1D2A7C4E11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Fieldnote
AppVerName={#AppName} {#AppVersion}
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user, no UAC prompt: everything goes under the user's own profile.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile=fieldnote.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\Fieldnote\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The program folder only (PyInstaller may leave __pycache__ behind).
Type: filesandordirs; Name: "{app}"

[Code]
{ The data folder (platformdirs' user_data_dir, roaming=False) and the config folder
  (user_config_dir, roaming=True). Deleted only when the user says so; a silent uninstall
  (/SILENT, /VERYSILENT) never deletes them. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir, ConfigDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\Fieldnote\Fieldnote');
    ConfigDir := ExpandConstant('{userappdata}\Fieldnote\Fieldnote');
    if (not UninstallSilent) and DirExists(DataDir) then
      if MsgBox('Also delete your Fieldnote data on this computer?' #13#10 #13#10 +
                'This removes the encrypted store in ' + DataDir + ', including any changes ' +
                'not yet sent to your service''s server. Choose No to keep it (you can ' +
                'reinstall Fieldnote and carry on).',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      begin
        DelTree(DataDir, True, True, True);
        DelTree(ConfigDir, True, True, True);
      end;
  end;
end;
