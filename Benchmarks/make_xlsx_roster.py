"""Writes a large XLSX roster the way Excel does (every text in the shared-string table), for the
streaming-import measurement. Synthetic people only: invented names, valid check characters.

Usage: python3 Benchmarks/make_xlsx_roster.py ROWS OUT.xlsx
Then, on a fresh data folder with the demo regions:
  export YIYANG_DATA_DIR=$(mktemp -d) LOG_LEVEL=warning
  .build/release/yiyang demo --elders 0
  /usr/bin/time -v .build/release/yiyang elders import OUT.xlsx
"""
import zipfile, random, sys
n=int(sys.argv[1]); out=sys.argv[2]
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; C='10X98765432'
def cid(addr,birth,seq):
    s=f"{addr}{birth}{seq:03d}"; return s+C[sum(int(a)*b for a,b in zip(s,W))%11]
random.seed(1)
sur="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"; giv="秀兰英华桂芳玉明建国志强淑珍凤兰德福"
strings=[]; idx={}
def si(s):
    if s not in idx: idx[s]=len(strings); strings.append(s)
    return idx[s]
header=["姓名","身份证号","性别","出生日期","户籍地区划代码","联系电话","详细地址","类别"]
villages=["130102001001","130102001002","130102001003"]
seen=set()
with zipfile.ZipFile(out,"w",zipfile.ZIP_DEFLATED) as z:
    with z.open("xl/worksheets/sheet1.xml","w",force_zip64=True) as f:
        f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        def row(r,cells):
            parts=[f'<row r="{r}">']
            for i,c in enumerate(cells):
                col=chr(65+i)
                parts.append(f'<c r="{col}{r}" t="s"><v>{si(c)}</v></c>')
            parts.append('</row>'); f.write(''.join(parts).encode())
        row(1,header)
        r=2
        while r<=n+1:
            y=random.randint(1930,1965); m=random.randint(1,12); d=random.randint(1,28)
            birth=f"{y}{m:02d}{d:02d}"; seq=random.randint(0,999)
            addr=random.choice(["130102","130104","130105"])
            if (birth,seq,addr) in seen: continue
            seen.add((birth,seq,addr))
            idn=cid(addr,birth,seq)
            name=random.choice(sur)+random.choice(giv)+random.choice(giv)
            row(r,[name,idn,"男" if seq%2 else "女",f"{y}-{m:02d}-{d:02d}",random.choice(villages),f"13{random.randint(100000000,999999999)}",f"建北路{random.randint(1,999)}号",random.choice(["","空巢","独居","失能"])])
            r+=1
        f.write(b'</sheetData></worksheet>')
    with z.open("xl/sharedStrings.xml","w",force_zip64=True) as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode())
        buf=[]
        for s in strings:
            buf.append(f'<si><t>{s}</t></si>')
            if len(buf)>10000: f.write(''.join(buf).encode()); buf=[]
        f.write(''.join(buf).encode()); f.write(b'</sst>')
    z.writestr("[Content_Types].xml",'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
print(len(strings),"strings")
