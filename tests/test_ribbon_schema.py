"""The ribbon XML against Microsoft's own definitions: the customUI14 schema (MS-CUSTOMUI) and
the published lists of Excel's control identifiers for every imageMso name.
Where the vendored files come from, and under which licence: tests/data/SOURCES.md."""
import copy
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from perfeval_xl.excel import addin_build as ab

DATA = Path(__file__).with_name("data")
NS = {"xsd": "http://www.w3.org/2001/XMLSchema"}
XSD = "{%s}" % NS["xsd"]
RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"


def _declared(node, groups: dict) -> dict[str, etree._Element]:
    """The attribute declarations directly under node, by name, attribute groups expanded."""
    found = {}
    for child in node:
        if child.tag == f"{XSD}attribute" and child.get("name"):
            found[child.get("name")] = child
        elif child.tag == f"{XSD}attributeGroup" and child.get("ref"):
            found |= _declared(groups[child.get("ref")], groups)
    return found


def _signature(declaration: etree._Element) -> tuple:
    return declaration.get("type"), declaration.get("use", "optional"), declaration.get("default")


def _drop_redeclared_attributes(schema: etree._ElementTree) -> int:
    """Microsoft's customUI14.xsd redeclares, in several extensions, attributes the base type
    already has (CT_ButtonRegular extends CT_Control and adds AG_Enabled and AG_Image again).
    .NET accepts that; libxml2 follows XSD 1.0 and rejects the schema ("Duplicate attribute use").
    A redeclaration the base type already carries is removed (an attribute group that is only
    partly inherited is replaced by its other attributes): the base's declaration still applies,
    so the set of valid documents is unchanged. Returns how many declarations were removed."""
    root = schema.getroot()
    groups = {g.get("name"): g for g in root.iter(f"{XSD}attributeGroup") if g.get("name")}
    types = {t.get("name"): t for t in root.iter(f"{XSD}complexType") if t.get("name")}

    @cache
    def attributes_of(type_name: str) -> dict[str, etree._Element]:
        """What a type accepts: its own attributes and its base's, prohibited ones left out."""
        ctype = types[type_name]
        found = _declared(ctype, groups)
        for derivation in ctype.xpath("xsd:complexContent/* | xsd:simpleContent/*", namespaces=NS):
            if derivation.get("base") in types:
                found = attributes_of(derivation.get("base")) | found
            found |= _declared(derivation, groups)
        return {name: decl for name, decl in found.items() if decl.get("use") != "prohibited"}

    removed = 0
    for extension in root.iter(f"{XSD}extension"):
        if extension.get("base") not in types:
            continue
        inherited = attributes_of(extension.get("base"))
        for child in list(extension):
            if child.tag not in (f"{XSD}attribute", f"{XSD}attributeGroup"):
                continue
            mine = _declared([child], groups)
            duplicates = mine.keys() & inherited.keys()
            for name in duplicates:  # same type and use, or removing it would change the schema
                assert _signature(mine[name]) == _signature(inherited[name]), name
            if not duplicates:
                continue
            position = extension.index(child)
            extension.remove(child)
            for offset, name in enumerate(sorted(mine.keys() - duplicates)):
                extension.insert(position + offset, copy.deepcopy(mine[name]))
            removed += len(duplicates)
    return removed


@pytest.fixture(scope="module")
def ribbon_schema() -> etree.XMLSchema:
    source = etree.parse(str(DATA / "customUI14.xsd"))
    with pytest.raises(etree.XMLSchemaParseError, match="Duplicate attribute use"):
        etree.XMLSchema(source)  # the reason for the patch: if libxml2 ever accepts it, drop the patch
    patched = copy.deepcopy(source)
    assert _drop_redeclared_attributes(patched) > 0
    return etree.XMLSchema(patched)


def ribbon_xml() -> bytes:
    return (ab.MACROS / ab.RIBBON).read_bytes()


def schema_errors(schema: etree.XMLSchema, xml: bytes) -> list[str]:
    schema.validate(etree.fromstring(xml))
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def test_ribbon_is_valid_against_customui14_xsd(ribbon_schema):
    assert schema_errors(ribbon_schema, ribbon_xml()) == []


@pytest.mark.parametrize("old, new, complaint", [
    (b'size="large"', b'size="huge"', "attribute 'size'"),          # a value outside the enumeration
    (b'screentip="', b'tooltip="', "attribute 'tooltip'"),           # an attribute the schema lacks
    (b'<button id="help"', b'<knopf id="help"', "}knopf'"),         # an element the schema lacks
    (b'<button id="help"', b'<button id="help" id2="x"', "attribute 'id2'"),
    (b'id="score"', b'id="score board"', "attribute 'id'"),          # not an ST_UniqueID
])
def test_schema_rejects_an_invalid_ribbon(ribbon_schema, old, new, complaint):
    xml = ribbon_xml()
    assert old in xml
    errors = schema_errors(ribbon_schema, xml.replace(old, new, 1))
    assert errors and complaint in " ".join(errors), errors


def test_schema_patch_keeps_the_inherited_attributes(ribbon_schema):
    """The patch removes redeclarations only: a button in a menu (CT_ButtonRegular, where the
    duplicates were) still takes imageMso and enabled, and still refuses size (not in a menu)."""
    menu = (f'<customUI xmlns="{RIBBON_NS}"><ribbon><tabs><tab id="t" label="t"><group id="g" label="g">'
            '<menu id="m" label="m"><button id="b" label="b" imageMso="Help" enabled="false"{}/></menu>'
            '</group></tab></tabs></ribbon></customUI>')
    assert schema_errors(ribbon_schema, menu.format("").encode()) == []
    assert schema_errors(ribbon_schema, menu.format(' size="large"').encode())  # no size in a menu


@cache
def excel_control_ids() -> frozenset[str]:
    lines = (DATA / "excel-control-ids.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(l.strip() for l in lines if l.strip() and not l.startswith("#"))


def image_mso_problems(xml: bytes) -> list[str]:
    """imageMso names that are not Excel control ids in Microsoft's published lists (Excel
    shows no icon, or an error with 'Show add-in user interface errors' on, for an unknown one)."""
    ids = excel_control_ids()
    return [f"{el.get('id')}: imageMso={el.get('imageMso')} is not in Excel's control id list"
            for el in etree.fromstring(xml).iter() if el.get("imageMso") is not None
            and el.get("imageMso") not in ids]


def test_every_image_mso_is_an_excel_control_id():
    xml = ribbon_xml()
    buttons = [el for el in etree.fromstring(xml).iter(f"{{{RIBBON_NS}}}button")]
    assert len(buttons) >= 9 and all(b.get("imageMso") for b in buttons)  # each has an icon to check
    assert image_mso_problems(xml) == []


def test_image_mso_check_rejects_a_made_up_name():
    assert len(excel_control_ids()) > 1500  # the whole list, not only the names we use
    xml = ribbon_xml().replace(b'imageMso="Help"', b'imageMso="HelpMeNow"')
    assert image_mso_problems(xml) == ["help: imageMso=HelpMeNow is not in Excel's control id list"]
    word_only = ribbon_xml().replace(b'imageMso="Help"', b'imageMso="FileSaveAsWordDocx"')
    assert image_mso_problems(word_only)  # a Word command's icon is not promised in Excel
