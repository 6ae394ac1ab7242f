"""Readers' names, in English and Chinese, for the reused vocabulary terms the data does not label.

scograph's own terms carry en/zh labels in ``ontology/scograph.ttl``; the terms
it reuses (ELI, DCTERMS, SKOS, ORG, VoID, DCAT, SHACL...) come without labels
in the store, and their IRI local names (``void:exampleResource``) mean
nothing to a reader. These names are shown instead, in the interface
language; the IRI stays in the ``title`` of each row.
"""

from __future__ import annotations

_ELI = "http://data.europa.eu/eli/ontology#"
_DCT = "http://purl.org/dc/terms/"
_VANN = "http://purl.org/vocab/vann/"
_VOID = "http://rdfs.org/ns/void#"
_SPDX = "http://spdx.org/rdf/terms#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_TIME = "http://www.w3.org/2006/time#"
_DCAT = "http://www.w3.org/ns/dcat#"
_ORG = "http://www.w3.org/ns/org#"
_PROV = "http://www.w3.org/ns/prov#"
_SH = "http://www.w3.org/ns/shacl#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_SCHEMA = "https://schema.org/"

_NAMES: dict[str, tuple[str, str]] = {
    # ELI
    _ELI + "based_on": ("based on", "依据"),
    _ELI + "cites": ("cites", "引用"),
    _ELI + "date_document": ("date of the document", "文件日期"),
    _ELI + "first_date_entry_in_force": ("in force from", "生效日期"),
    _ELI + "has_part": ("has part", "包含部分"),
    _ELI + "is_about": ("is about", "主题"),
    _ELI + "is_part_of": ("part of", "所属"),
    _ELI + "is_realized_by": ("language versions", "语言版本"),
    _ELI + "language": ("language", "语言"),
    _ELI + "number": ("number", "编号"),
    _ELI + "passed_by": ("adopted by", "通过方"),
    _ELI + "realizes": ("version of", "所属文件"),
    _ELI + "title": ("title", "标题"),
    # DCTERMS and VANN
    _DCT + "creator": ("creator", "创建者"),
    _DCT + "date": ("date", "日期"),
    _DCT + "description": ("description", "说明"),
    _DCT + "format": ("format", "格式"),
    _DCT + "identifier": ("identifier", "标识符"),
    _DCT + "isVersionOf": ("version of", "所属版本"),
    _DCT + "language": ("language", "语言"),
    _DCT + "license": ("licence", "许可"),
    _DCT + "publisher": ("publisher", "发布者"),
    _DCT + "relation": ("related to", "相关"),
    _DCT + "rights": ("rights", "权利声明"),
    _DCT + "source": ("source", "来源"),
    _DCT + "spatial": ("place", "地点"),
    _DCT + "temporal": ("period covered", "时间范围"),
    _DCT + "title": ("title", "标题"),
    _DCT + "PeriodOfTime": ("Period of time", "时间段"),
    _VANN + "preferredNamespacePrefix": ("preferred prefix", "推荐前缀"),
    _VANN + "preferredNamespaceUri": ("namespace", "命名空间"),
    # VoID: said the way a reader would say it
    _VOID + "classes": ("number of kinds of things", "类别数"),
    _VOID + "dataDump": ("download", "下载文件"),
    _VOID + "distinctObjects": ("number of distinct values", "不同取值数"),
    _VOID + "distinctSubjects": ("number of things described", "所描述事物数"),
    _VOID + "entities": ("number of things with a URI", "拥有 URI 的事物数"),
    _VOID + "exampleResource": ("for example", "示例"),
    _VOID + "feature": ("available as", "提供格式"),
    _VOID + "linkPredicate": ("linked by", "链接属性"),
    _VOID + "objectsTarget": ("links to", "链接目标"),
    _VOID + "properties": ("number of properties", "属性数"),
    _VOID + "rootResource": ("start here", "从这里开始"),
    _VOID + "sparqlEndpoint": ("query it at", "查询端点"),
    _VOID + "subjectsTarget": ("links from", "链接来源"),
    _VOID + "subset": ("part", "组成部分"),
    _VOID + "triples": ("number of statements (triples)", "陈述数（三元组）"),
    _VOID + "uriRegexPattern": ("URI pattern", "URI 模式"),
    _VOID + "uriSpace": ("URIs start with", "URI 前缀"),
    _VOID + "vocabulary": ("vocabulary used", "所用词汇"),
    _VOID + "Dataset": ("Dataset", "数据集"),
    _VOID + "Linkset": ("Set of links to another dataset", "与其他数据集的链接集"),
    # SPDX
    _SPDX + "algorithm": ("algorithm", "算法"),
    _SPDX + "checksum": ("checksum", "校验和"),
    _SPDX + "checksumValue": ("checksum value", "校验值"),
    _SPDX + "Checksum": ("Checksum", "校验和"),
    # RDF, RDFS, OWL
    _RDF + "first": ("first item", "首项"),
    _RDF + "rest": ("other items", "其余项"),
    _RDF + "type": ("kind", "类别"),
    _RDFS + "domain": ("applies to", "适用于"),
    _RDFS + "isDefinedBy": ("defined by", "定义于"),
    _RDFS + "label": ("name", "名称"),
    _RDFS + "range": ("values are", "取值类型"),
    _RDFS + "seeAlso": ("see also", "另见"),
    _RDFS + "subClassOf": ("a kind of", "上位类"),
    _RDFS + "subPropertyOf": ("a narrower form of", "上位属性"),
    _OWL + "imports": ("imports", "导入"),
    _OWL + "sameAs": ("the same as", "等同于"),
    _OWL + "unionOf": ("any of", "以下任一"),
    _OWL + "versionIRI": ("version IRI", "版本 IRI"),
    _OWL + "versionInfo": ("version", "版本"),
    _OWL + "Class": ("Class", "类"),
    _OWL + "ObjectProperty": ("Property linking things", "对象属性"),
    _OWL + "DatatypeProperty": ("Property with a value", "数据属性"),
    _OWL + "Ontology": ("Ontology", "本体"),
    # SKOS
    _SKOS + "altLabel": ("also called", "又称"),
    _SKOS + "broader": ("broader", "上位概念"),
    _SKOS + "definition": ("definition", "定义"),
    _SKOS + "exactMatch": ("the same as", "等同于"),
    _SKOS + "hasTopConcept": ("top concept", "顶层概念"),
    _SKOS + "inScheme": ("in the scheme", "所属体系"),
    _SKOS + "member": ("member", "成员"),
    _SKOS + "memberList": ("members in order", "有序成员"),
    _SKOS + "notation": ("notation", "编号"),
    _SKOS + "prefLabel": ("name", "名称"),
    _SKOS + "topConceptOf": ("top concept of", "顶层概念所属"),
    _SKOS + "Concept": ("Concept", "概念"),
    _SKOS + "ConceptScheme": ("Concept scheme", "概念体系"),
    _SKOS + "Collection": ("Collection", "集合"),
    _SKOS + "OrderedCollection": ("Ordered collection", "有序集合"),
    # OWL-Time
    _TIME + "hasBeginning": ("begins", "开始于"),
    _TIME + "inXSDDate": ("date", "日期"),
    _TIME + "inXSDgYear": ("year", "年份"),
    _TIME + "inXSDgYearMonth": ("month", "年月"),
    _TIME + "Instant": ("Instant", "时刻"),
    _TIME + "Interval": ("Interval", "时间区间"),
    # DCAT
    _DCAT + "accessURL": ("access at", "访问地址"),
    _DCAT + "distribution": ("distribution", "分发"),
    _DCAT + "downloadURL": ("download at", "下载地址"),
    _DCAT + "endDate": ("until", "结束日期"),
    _DCAT + "keyword": ("keyword", "关键词"),
    _DCAT + "landingPage": ("home page", "主页"),
    _DCAT + "mediaType": ("media type", "媒体类型"),
    _DCAT + "startDate": ("from", "开始日期"),
    _DCAT + "Dataset": ("Dataset", "数据集"),
    _DCAT + "Distribution": ("Distribution (a file to download)", "分发（可下载文件）"),
    # ORG
    _ORG + "hasMembership": ("membership", "成员资格"),
    _ORG + "hasSubOrganization": ("has a body", "下属机构"),
    _ORG + "member": ("member", "成员"),
    _ORG + "memberDuring": ("member during", "成员期间"),
    _ORG + "organization": ("organisation", "组织"),
    _ORG + "role": ("role", "角色"),
    _ORG + "subOrganizationOf": ("body of", "上级组织"),
    _ORG + "Organization": ("Organisation", "组织"),
    _ORG + "Membership": ("Membership", "成员资格"),
    _ORG + "Role": ("Role", "角色"),
    # PROV
    _PROV + "hadPrimarySource": ("primary source", "原始来源"),
    _PROV + "used": ("used", "使用了"),
    _PROV + "wasAssociatedWith": ("done by", "执行者"),
    _PROV + "wasAttributedTo": ("attributed to", "归属于"),
    _PROV + "wasDerivedFrom": ("derived from", "来源于"),
    _PROV + "wasGeneratedBy": ("made by", "生成于"),
    _PROV + "wasQuotedFrom": ("quoted from", "引自"),
    _PROV + "Activity": ("Activity", "活动"),
    _PROV + "Entity": ("Entity", "实体"),
    _PROV + "SoftwareAgent": ("Software", "软件"),
    # SHACL (the shapes page)
    _SH + "class": ("values are of the kind", "取值类别"),
    _SH + "datatype": ("values are of the type", "取值数据类型"),
    _SH + "declare": ("declares", "声明"),
    _SH + "languageIn": ("languages allowed", "允许的语言"),
    _SH + "lessThanOrEquals": ("not later than", "不晚于"),
    _SH + "maxCount": ("at most", "最多"),
    _SH + "maxInclusive": ("largest value", "最大值"),
    _SH + "message": ("message", "提示信息"),
    _SH + "minCount": ("at least", "至少"),
    _SH + "minInclusive": ("smallest value", "最小值"),
    _SH + "namespace": ("namespace", "命名空间"),
    _SH + "node": ("values match the shape", "取值符合形状"),
    _SH + "nodeKind": ("kind of value", "取值种类"),
    _SH + "or": ("one of", "以下之一"),
    _SH + "path": ("property", "属性"),
    _SH + "pattern": ("pattern", "格式模式"),
    _SH + "prefix": ("prefix", "前缀"),
    _SH + "prefixes": ("prefixes", "前缀"),
    _SH + "property": ("property rule", "属性规则"),
    _SH + "qualifiedMaxCount": ("at most (of those)", "最多（符合条件的）"),
    _SH + "qualifiedMinCount": ("at least (of those)", "至少（符合条件的）"),
    _SH + "qualifiedValueShape": ("counting values that match", "计数条件"),
    _SH + "select": ("query", "查询"),
    _SH + "severity": ("severity", "严重程度"),
    _SH + "sparql": ("SPARQL rule", "SPARQL 规则"),
    _SH + "targetClass": ("applies to every", "适用类别"),
    _SH + "targetNode": ("applies to", "适用对象"),
    _SH + "targetSubjectsOf": ("applies to what has", "适用于具有该属性者"),
    _SH + "uniqueLang": ("one value per language", "每种语言一个值"),
    _SH + "xone": ("exactly one of", "恰好以下之一"),
    _SH + "NodeShape": ("Shape", "形状"),
    _SH + "SPARQLConstraint": ("SPARQL rule", "SPARQL 规则"),
    # FOAF and schema.org
    _FOAF + "name": ("name", "名称"),
    _FOAF + "Organization": ("Organisation", "组织"),
    _FOAF + "Person": ("Person", "人物"),
    _SCHEMA + "attendee": ("attended by", "出席者"),
    _SCHEMA + "containedInPlace": ("located in", "所在地"),
    _SCHEMA + "endDate": ("ends", "结束日期"),
    _SCHEMA + "foundingDate": ("founded", "成立日期"),
    _SCHEMA + "foundingLocation": ("founded in", "成立地点"),
    _SCHEMA + "jobTitle": ("position", "职务"),
    _SCHEMA + "location": ("place", "地点"),
    _SCHEMA + "organizer": ("organised by", "主办方"),
    _SCHEMA + "startDate": ("begins", "开始日期"),
    _SCHEMA + "subEvent": ("part of the programme", "下属活动"),
    _SCHEMA + "superEvent": ("part of", "所属活动"),
}

#: IRI -> {"en": ..., "zh": ...}
TERMS: dict[str, dict[str, str]] = {iri: {"en": en, "zh": zh} for iri, (en, zh) in _NAMES.items()}
