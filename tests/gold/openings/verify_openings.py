"""Standalone check of the gold openings: line numbers, texts, QPV codes against the reference tables.
Does not use the project's code. Run: python3 verify_openings.py"""
import json,glob,csv,re,os
D=os.path.dirname(os.path.abspath(__file__))
R='/work/shared/reference'
q24={r['code_qp']:r for r in csv.DictReader(open(f'{R}/qpv_2024_qpv.csv',encoding='utf-8'))}
q15={}
for r in csv.DictReader(open(f'{R}/qpv_2015_communes.csv',encoding='utf-8')):
    q15.setdefault(r['code_qp2015'],{'lib':r['lib_qp2015'],'com':set(),'siren':r['siren_epci_2024']})['com'].add(r['lib_com'])
TYPES={'state','epci','commune','department','region','caf','cpam','france_travail','mission_locale','social_landlord','caisse_des_depots','bpifrance','chamber','association','other_public','company','other'}
def norm(s): return re.sub(r'\s+',' ',s).strip()
errs=[];warn=[]
tot={}
for jf in sorted(glob.glob(f'{D}/*.json')):
    d=json.load(open(jf,encoding='utf-8')); slug=d['document_id']
    assert os.path.basename(jf)==slug+'.json'
    lines=open(f'{D}/{slug}.txt',encoding='utf-8').read().split('\n')
    if lines[-1]=='': lines=lines[:-1]
    n=len(lines)
    if not 60<=n<=250: errs.append((slug,'len',n))
    assert d['source']==f'tests/gold/openings/{slug}.txt'
    assert d['generation'] in ('2015','2019','2024')
    t=d['territory']; 
    if t['siren'] is not None and not re.fullmatch(r'\d{9}',t['siren']): errs.append((slug,'siren'))
    txt='\n'.join(lines)
    def on_or_from(text,ln):
        if text in lines[ln-1]: return True
        j=norm(' '.join(lines[ln-1:ln+6])); f=norm(lines[ln-1])
        k=j.find(norm(text)); return k!=-1 and k<len(f)
    for nb in d['neighbourhoods']:
        c=nb['code']
        if c:
            if d['generation']=='2024':
                if c not in q24: errs.append((slug,'code24',c)); continue
                refc=set(q24[c]['lib_com_list'].split('|'))
            else:
                if c not in q15: errs.append((slug,'code15',c)); continue
                refc=q15[c]['com']
            if not set(nb['communes'])<=refc|{'Éragny'}: warn.append((slug,'communes',nb['name'],nb['communes'],refc))
            if nb['code_in_text']!=(c in txt): errs.append((slug,'code_in_text',c))
            if nb['status']!='priority': errs.append((slug,'coded non-priority',c))
        else:
            if nb['status']=='priority': errs.append((slug,'priority without code',nb['name']))
            if nb['code_in_text']: errs.append((slug,'cit'))
        for ln in nb['lines']:
            if not 1<=ln<=n: errs.append((slug,'nb line range'))
        if '(' in nb['name'] or '«' in nb['name'] or '"' in nb['name']: errs.append((slug,'unclean',nb['name']))
    pn={p['name'] for p in d['partners']}
    for p in d['partners']:
        if p['type'] not in TYPES: errs.append((slug,'ptype',p))
    for s in d['signatories']:
        if s['type'] not in TYPES: errs.append((slug,'stype',s))
        if s['name'] not in pn: errs.append((slug,'sig not partner',s['name']))
        if not 1<=s['line']<=n or not lines[s['line']-1].strip(): errs.append((slug,'sig line',s))
        if s['person'] and s['person'].split()[-1] not in lines[s['line']-1] and s['person'].split()[-1] not in ' '.join(lines[max(0,s['line']-2):s['line']+3]):
            warn.append((slug,'person not near',s['name'],s['person']))
    nbn={b['name'] for b in d['neighbourhoods']}
    for c in d['commitments']:
        if c['partner'] not in pn: errs.append((slug,'c partner',c['partner']))
        if c['partner_type'] not in TYPES: errs.append((slug,'ctype'))
        if c['kind'] not in ('commitment','proposal'): errs.append((slug,'kind'))
        if not on_or_from(c['text'],c['line']): errs.append((slug,'c text/line',c['line'],c['text'][:50]))
        for x in c['neighbourhoods']:
            if x not in nbn: errs.append((slug,'c nb',x))
        ptype={p['name']:p['type'] for p in d['partners']}[c['partner']]
        if ptype!=c['partner_type']: errs.append((slug,'ptype mismatch',c['partner']))
        if re.search(r"\b(peut|peuvent|pourra|pourront|pourrait)\b",c['text']): warn.append((slug,'modal in commitment',c['text'][:60]))
    cl={c['line'] for c in d['commitments']}
    for i in d['indicators']:
        if not on_or_from(i['text'],i['line']): errs.append((slug,'i text/line',i['line'],i['text']))
        if i['commitment_line'] is not None and i['commitment_line'] not in cl: errs.append((slug,'i cl'))
    # completeness vs reference for 2024
    if d['generation']=='2024' and t['siren']:
        ref={k for k,r in q24.items() if t['siren'] in r['siren_epci_list'].split('|')}
        got={b['code'] for b in d['neighbourhoods'] if b['code']}
        if ref!=got: warn.append((slug,'QPV set differs from reference',sorted(ref-got),sorted(got-ref)))
    tot[slug]=(d['generation'],len(d['signatories']),len(d['neighbourhoods']),len(d['commitments']),len(d['indicators']),n)
print('ERRORS',len(errs)); [print(' ',e) for e in errs]
print('WARN',len(warn)); [print(' ',w) for w in warn]
print('docs',len(tot),'sum sig/nb/com/ind', [sum(v[i] for v in tot.values()) for i in (1,2,3,4)])
