"""Real regions, districts and a few localities of Armenia, Azerbaijan and Pakistan.

Armenia: the ten marzer and Yerevan as regions, their main towns (and Yerevan's administrative
districts) as districts. Azerbaijan: the economic regions of 2021 as regions, their rayons and
cities as districts. Pakistan: provinces and the capital territory, with some of their districts.
Local names are in Armenian, Azerbaijani Latin and Urdu.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    name: str
    name_local: str = ""


@dataclass(frozen=True)
class DistrictData:
    name: str
    name_local: str
    localities: tuple[Place, ...] = ()


@dataclass(frozen=True)
class RegionData:
    name: str
    name_local: str
    districts: tuple[DistrictData, ...]


@dataclass(frozen=True)
class CountryData:
    code: str
    name: str
    regions: tuple[RegionData, ...]


def _region(name: str, local: str, *districts: DistrictData | tuple[str, str]) -> RegionData:
    return RegionData(
        name,
        local,
        tuple(d if isinstance(d, DistrictData) else DistrictData(*d) for d in districts),
    )


def _district(name: str, local: str, *localities: tuple[str, str]) -> DistrictData:
    return DistrictData(name, local, tuple(Place(*p) for p in localities))


ARMENIA = CountryData(
    "AM",
    "Armenia",
    (
        _region(
            "Yerevan",
            "Երևան",
            ("Ajapnyak", "Աջափնյակ"),
            ("Arabkir", "Արաբկիր"),
            ("Avan", "Ավան"),
            ("Davtashen", "Դավթաշեն"),
            ("Erebuni", "Էրեբունի"),
            ("Kanaker-Zeytun", "Քանաքեռ-Զեյթուն"),
            ("Kentron", "Կենտրոն"),
            ("Malatia-Sebastia", "Մալաթիա-Սեբաստիա"),
            ("Nor Nork", "Նոր Նորք"),
            ("Nork-Marash", "Նորք-Մարաշ"),
            ("Nubarashen", "Նուբարաշեն"),
            ("Shengavit", "Շենգավիթ"),
        ),
        _region(
            "Aragatsotn",
            "Արագածոտն",
            ("Ashtarak", "Աշտարակ"),
            ("Aparan", "Ապարան"),
            ("Talin", "Թալին"),
        ),
        _region(
            "Ararat",
            "Արարատ",
            _district("Artashat", "Արտաշատ", ("Dalar", "Դալար"), ("Mkhchyan", "Մխչյան")),
            ("Ararat", "Արարատ"),
            _district("Masis", "Մասիս", ("Ayntap", "Այնթափ"), ("Nor Kharberd", "Նոր Խարբերդ")),
            ("Vedi", "Վեդի"),
        ),
        _region(
            "Armavir",
            "Արմավիր",
            ("Armavir", "Արմավիր"),
            ("Metsamor", "Մեծամոր"),
            ("Vagharshapat", "Վաղարշապատ"),
        ),
        _region(
            "Gegharkunik",
            "Գեղարքունիք",
            ("Chambarak", "Ճամբարակ"),
            ("Gavar", "Գավառ"),
            ("Martuni", "Մարտունի"),
            ("Sevan", "Սևան"),
            ("Vardenis", "Վարդենիս"),
        ),
        _region(
            "Kotayk",
            "Կոտայք",
            ("Abovyan", "Աբովյան"),
            ("Byureghavan", "Բյուրեղավան"),
            ("Charentsavan", "Չարենցավան"),
            ("Hrazdan", "Հրազդան"),
            ("Nor Hachn", "Նոր Հաճն"),
            ("Tsaghkadzor", "Ծաղկաձոր"),
            ("Yeghvard", "Եղվարդ"),
        ),
        _region(
            "Lori",
            "Լոռի",
            ("Alaverdi", "Ալավերդի"),
            ("Spitak", "Սպիտակ"),
            ("Stepanavan", "Ստեփանավան"),
            ("Tashir", "Տաշիր"),
            ("Vanadzor", "Վանաձոր"),
        ),
        _region(
            "Shirak",
            "Շիրակ",
            _district(
                "Akhuryan",
                "Ախուրյան",
                ("Arevik", "Արևիկ"),
                ("Azatan", "Ազատան"),
                ("Basen", "Բասեն"),
                ("Kaps", "Կապս"),
            ),
            ("Amasia", "Ամասիա"),
            _district("Artik", "Արթիկ", ("Harich", "Հառիճ"), ("Pemzashen", "Պեմզաշեն")),
            ("Gyumri", "Գյումրի"),
            ("Maralik", "Մարալիկ"),
        ),
        _region(
            "Syunik",
            "Սյունիք",
            _district("Goris", "Գորիս", ("Karahunj", "Քարահունջ")),
            ("Kapan", "Կապան"),
            ("Meghri", "Մեղրի"),
            ("Sisian", "Սիսիան"),
        ),
        _region(
            "Tavush",
            "Տավուշ",
            ("Berd", "Բերդ"),
            ("Dilijan", "Դիլիջան"),
            ("Ijevan", "Իջևան"),
            ("Noyemberyan", "Նոյեմբերյան"),
        ),
        _region(
            "Vayots Dzor",
            "Վայոց ձոր",
            ("Jermuk", "Ջերմուկ"),
            ("Vayk", "Վայք"),
            ("Yeghegnadzor", "Եղեգնաձոր"),
        ),
    ),
)

AZERBAIJAN = CountryData(
    "AZ",
    "Azerbaijan",
    (
        _region(
            "Baku",
            "Bakı",
            ("Binagadi", "Binəqədi"),
            ("Garadagh", "Qaradağ"),
            ("Khatai", "Xətai"),
            ("Khazar", "Xəzər"),
            ("Narimanov", "Nərimanov"),
            ("Nasimi", "Nəsimi"),
            ("Nizami", "Nizami"),
            ("Pirallahi", "Pirallahı"),
            ("Sabail", "Səbail"),
            ("Sabunchu", "Sabunçu"),
            ("Surakhani", "Suraxanı"),
            ("Yasamal", "Yasamal"),
        ),
        _region(
            "Absheron-Khizi",
            "Abşeron-Xızı",
            _district("Absheron", "Abşeron", ("Khirdalan", "Xırdalan")),
            ("Khizi", "Xızı"),
            _district("Sumgait", "Sumqayıt", ("Jorat", "Corat")),
        ),
        _region(
            "Mountainous Shirvan",
            "Dağlıq Şirvan",
            ("Agsu", "Ağsu"),
            ("Gobustan", "Qobustan"),
            ("Ismayilli", "İsmayıllı"),
            ("Shamakhi", "Şamaxı"),
        ),
        _region(
            "Ganja-Dashkasan",
            "Gəncə-Daşkəsən",
            ("Dashkasan", "Daşkəsən"),
            ("Ganja", "Gəncə"),
            ("Goranboy", "Goranboy"),
            _district("Goygol", "Göygöl", ("Hajikand", "Hacıkənd")),
            ("Naftalan", "Naftalan"),
            ("Samukh", "Samux"),
        ),
        _region(
            "Gazakh-Tovuz",
            "Qazax-Tovuz",
            ("Aghstafa", "Ağstafa"),
            ("Gadabay", "Gədəbəy"),
            ("Gazakh", "Qazax"),
            ("Shamkir", "Şəmkir"),
            ("Tovuz", "Tovuz"),
        ),
        _region(
            "Guba-Khachmaz",
            "Quba-Xaçmaz",
            _district("Guba", "Quba", ("Red Settlement", "Qırmızı Qəsəbə")),
            ("Gusar", "Qusar"),
            ("Khachmaz", "Xaçmaz"),
            ("Shabran", "Şabran"),
            ("Siyazan", "Siyəzən"),
        ),
        _region(
            "Lankaran-Astara",
            "Lənkəran-Astara",
            ("Astara", "Astara"),
            ("Jalilabad", "Cəlilabad"),
            _district("Lankaran", "Lənkəran", ("Liman", "Liman")),
            ("Lerik", "Lerik"),
            _district("Masally", "Masallı", ("Boradigah", "Boradigah")),
            ("Yardimli", "Yardımlı"),
        ),
        _region(
            "Central Aran",
            "Mərkəzi Aran",
            ("Aghdash", "Ağdaş"),
            ("Goychay", "Göyçay"),
            ("Kurdamir", "Kürdəmir"),
            ("Mingachevir", "Mingəçevir"),
            ("Ujar", "Ucar"),
            ("Yevlakh", "Yevlax"),
            ("Zardab", "Zərdab"),
        ),
        _region(
            "Mil-Mughan",
            "Mil-Muğan",
            ("Beylagan", "Beyləqan"),
            ("Imishli", "İmişli"),
            ("Saatly", "Saatlı"),
            ("Sabirabad", "Sabirabad"),
        ),
        _region(
            "Shirvan-Salyan",
            "Şirvan-Salyan",
            ("Hajigabul", "Hacıqabul"),
            ("Neftchala", "Neftçala"),
            ("Salyan", "Salyan"),
            ("Shirvan", "Şirvan"),
        ),
        _region(
            "Shaki-Zagatala",
            "Şəki-Zaqatala",
            ("Balakan", "Balakən"),
            ("Gabala", "Qəbələ"),
            ("Gakh", "Qax"),
            ("Oghuz", "Oğuz"),
            _district("Shaki", "Şəki", ("Kish", "Kiş")),
            _district("Zagatala", "Zaqatala", ("Jar", "Car")),
        ),
        _region(
            "Karabakh",
            "Qarabağ",
            ("Aghdam", "Ağdam"),
            ("Aghjabadi", "Ağcabədi"),
            ("Barda", "Bərdə"),
            ("Fuzuli", "Füzuli"),
            ("Khankendi", "Xankəndi"),
            ("Khojaly", "Xocalı"),
            ("Khojavend", "Xocavənd"),
            ("Shusha", "Şuşa"),
            ("Tartar", "Tərtər"),
        ),
        _region(
            "East Zangezur",
            "Şərqi Zəngəzur",
            ("Gubadly", "Qubadlı"),
            ("Jabrayil", "Cəbrayıl"),
            ("Kalbajar", "Kəlbəcər"),
            ("Lachin", "Laçın"),
            ("Zangilan", "Zəngilan"),
        ),
        _region(
            "Nakhchivan",
            "Naxçıvan",
            ("Babek", "Babək"),
            ("Julfa", "Culfa"),
            ("Kangarli", "Kəngərli"),
            ("Nakhchivan", "Naxçıvan"),
            ("Ordubad", "Ordubad"),
            ("Sadarak", "Sədərək"),
            ("Shahbuz", "Şahbuz"),
            ("Sharur", "Şərur"),
        ),
    ),
)

PAKISTAN = CountryData(
    "PK",
    "Pakistan",
    (
        _region(
            "Punjab",
            "پنجاب",
            ("Bahawalpur", "بہاولپور"),
            ("Faisalabad", "فیصل آباد"),
            ("Gujranwala", "گوجرانوالہ"),
            ("Lahore", "لاہور"),
            ("Multan", "ملتان"),
            ("Rawalpindi", "راولپنڈی"),
            ("Sialkot", "سیالکوٹ"),
        ),
        _region(
            "Sindh",
            "سندھ",
            ("Hyderabad", "حیدرآباد"),
            ("Karachi Central", "کراچی وسطی"),
            ("Karachi East", "کراچی شرقی"),
            ("Larkana", "لاڑکانہ"),
            ("Sukkur", "سکھر"),
        ),
        _region(
            "Khyber Pakhtunkhwa",
            "خیبر پختونخوا",
            ("Abbottabad", "ایبٹ آباد"),
            ("Mardan", "مردان"),
            ("Peshawar", "پشاور"),
            ("Swat", "سوات"),
        ),
        _region(
            "Balochistan",
            "بلوچستان",
            ("Gwadar", "گوادر"),
            ("Kech", "کیچ"),
            ("Quetta", "کوئٹہ"),
        ),
        _region(
            "Islamabad Capital Territory",
            "وفاقی دارالحکومت اسلام آباد",
            ("Islamabad", "اسلام آباد"),
        ),
    ),
)

COUNTRIES: tuple[CountryData, ...] = (ARMENIA, AZERBAIJAN, PAKISTAN)
