"""Common Armenian, Azerbaijani and Pakistani names, each in the scripts people actually write
them in.

Armenian names come as (Armenian, Latin, Cyrillic); Azerbaijani names as (Azerbaijani Latin,
Cyrillic); Pakistani names as (Urdu, Latin). Fathers' names carry the forms a patronymic needs:
the Armenian genitive ("Արմենի"), the Russian stem ("Арменович"), the Azerbaijani name before
"oğlu" / "qızı".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tandir.registry.models import Sex


@dataclass(frozen=True)
class PersonName:
    first_name: str
    patronymic: str
    last_name: str


ARMENIAN_WOMEN = [
    ("Անահիտ", "Anahit", "Анаит"),
    ("Արմինե", "Armine", "Армине"),
    ("Գայանե", "Gayane", "Гаянэ"),
    ("Լուսինե", "Lusine", "Лусине"),
    ("Մարիամ", "Mariam", "Мариам"),
    ("Նարինե", "Narine", "Нарине"),
    ("Սիրանուշ", "Siranush", "Сирануш"),
    ("Հասմիկ", "Hasmik", "Асмик"),
    ("Աստղիկ", "Astghik", "Астгик"),
    ("Լիլիթ", "Lilit", "Лилит"),
    ("Տաթևիկ", "Tatevik", "Татевик"),
    ("Անի", "Ani", "Ани"),
    ("Նունե", "Nune", "Нуне"),
    ("Գոհար", "Gohar", "Гоар"),
    ("Մարինե", "Marine", "Марине"),
    ("Ռուզաննա", "Ruzanna", "Рузанна"),
    ("Զարուհի", "Zaruhi", "Заруи"),
    ("Շուշան", "Shushan", "Шушан"),
    ("Սոնա", "Sona", "Сона"),
    ("Արփինե", "Arpine", "Арпине"),
    ("Կարինե", "Karine", "Карине"),
    ("Էլեն", "Elen", "Элен"),
    ("Մելինե", "Meline", "Мелине"),
    ("Սյուզաննա", "Syuzanna", "Сюзанна"),
]

ARMENIAN_MEN = [
    ("Արամ", "Aram", "Арам"),
    ("Արմեն", "Armen", "Армен"),
    ("Դավիթ", "Davit", "Давид"),
    ("Գագիկ", "Gagik", "Гагик"),
    ("Հայկ", "Hayk", "Айк"),
    ("Տիգրան", "Tigran", "Тигран"),
    ("Արթուր", "Artur", "Артур"),
    ("Վահե", "Vahe", "Ваге"),
    ("Սամվել", "Samvel", "Самвел"),
    ("Կարեն", "Karen", "Карен"),
    ("Հովհաննես", "Hovhannes", "Ованес"),
    ("Նարեկ", "Narek", "Нарек"),
    ("Գևորգ", "Gevorg", "Геворг"),
    ("Արսեն", "Arsen", "Арсен"),
    ("Ռուբեն", "Ruben", "Рубен"),
    ("Վարդան", "Vardan", "Вардан"),
    ("Աշոտ", "Ashot", "Ашот"),
    ("Արտակ", "Artak", "Артак"),
    ("Էդգար", "Edgar", "Эдгар"),
    ("Մհեր", "Mher", "Мгер"),
    ("Սարգիս", "Sargis", "Саргис"),
    ("Հրանտ", "Hrant", "Грант"),
]

# (Armenian genitive, Russian stem for -ович / -овна)
ARMENIAN_FATHERS = [
    ("Արամի", "Арам"),
    ("Արմենի", "Армен"),
    ("Դավթի", "Давид"),
    ("Գագիկի", "Гагик"),
    ("Տիգրանի", "Тигран"),
    ("Արթուրի", "Артур"),
    ("Սամվելի", "Самвел"),
    ("Կարենի", "Карен"),
    ("Աշոտի", "Ашот"),
    ("Ռուբենի", "Рубен"),
    ("Վարդանի", "Вардан"),
    ("Գևորգի", "Геворг"),
    ("Սերգեյի", "Серге"),
    ("Հրանտի", "Грант"),
]

ARMENIAN_SURNAMES = [
    ("Պետրոսյան", "Petrosyan", "Петросян"),
    ("Հակոբյան", "Hakobyan", "Акопян"),
    ("Սարգսյան", "Sargsyan", "Саркисян"),
    ("Գրիգորյան", "Grigoryan", "Григорян"),
    ("Հարությունյան", "Harutyunyan", "Арутюнян"),
    ("Խաչատրյան", "Khachatryan", "Хачатрян"),
    ("Վարդանյան", "Vardanyan", "Варданян"),
    ("Կարապետյան", "Karapetyan", "Карапетян"),
    ("Գևորգյան", "Gevorgyan", "Геворгян"),
    ("Մկրտչյան", "Mkrtchyan", "Мкртчян"),
    ("Ավետիսյան", "Avetisyan", "Аветисян"),
    ("Հովհաննիսյան", "Hovhannisyan", "Оганесян"),
    ("Մարտիրոսյան", "Martirosyan", "Мартиросян"),
    ("Մանուկյան", "Manukyan", "Манукян"),
    ("Ղազարյան", "Ghazaryan", "Казарян"),
    ("Սահակյան", "Sahakyan", "Саакян"),
    ("Դավթյան", "Davtyan", "Давтян"),
    ("Աբրահամյան", "Abrahamyan", "Абрамян"),
    ("Բաղդասարյան", "Baghdasaryan", "Багдасарян"),
    ("Ալեքսանյան", "Aleksanyan", "Алексанян"),
    ("Մելքոնյան", "Melkonyan", "Мелконян"),
    ("Պողոսյան", "Poghosyan", "Погосян"),
    ("Ստեփանյան", "Stepanyan", "Степанян"),
    ("Առաքելյան", "Arakelyan", "Аракелян"),
    ("Բաբայան", "Babayan", "Бабаян"),
    ("Ղուկասյան", "Ghukasyan", "Гукасян"),
    ("Ավագյան", "Avagyan", "Авагян"),
    ("Սիմոնյան", "Simonyan", "Симонян"),
    ("Օհանյան", "Ohanyan", "Оганян"),
    ("Ներսիսյան", "Nersisyan", "Нерсисян"),
    ("Հայրապետյան", "Hayrapetyan", "Айрапетян"),
    ("Միքայելյան", "Mikayelyan", "Микаелян"),
]

AZERBAIJANI_WOMEN = [
    ("Aynur", "Айнур"),
    ("Günel", "Гюнель"),
    ("Leyla", "Лейла"),
    ("Nərmin", "Нармин"),
    ("Səbinə", "Сабина"),
    ("Aysel", "Айсель"),
    ("Gülnar", "Гюльнар"),
    ("Sevinc", "Севиндж"),
    ("Könül", "Кёнюль"),
    ("Ülviyyə", "Ульвия"),
    ("Şəbnəm", "Шабнам"),
    ("Xədicə", "Хадиджа"),
    ("Zəhra", "Захра"),
    ("Nigar", "Нигяр"),
    ("Fidan", "Фидан"),
    ("Aygün", "Айгюн"),
    ("Təranə", "Тарана"),
    ("Rəna", "Рена"),
    ("Gülşən", "Гюльшан"),
    ("Lalə", "Лала"),
    ("Türkan", "Тюркан"),
    ("Çinarə", "Чинара"),
]

AZERBAIJANI_MEN = [
    ("Elçin", "Эльчин"),
    ("Rəşad", "Рашад"),
    ("Tural", "Турал"),
    ("Orxan", "Орхан"),
    ("Vüqar", "Вугар"),
    ("Elnur", "Эльнур"),
    ("Ramil", "Рамиль"),
    ("Kamran", "Камран"),
    ("Fərid", "Фарид"),
    ("Anar", "Анар"),
    ("Murad", "Мурад"),
    ("Nicat", "Ниджат"),
    ("Əli", "Али"),
    ("Həsən", "Гасан"),
    ("Məmməd", "Мамед"),
    ("Rauf", "Рауф"),
    ("Elşən", "Эльшан"),
    ("Cavid", "Джавид"),
    ("Ülvi", "Ульви"),
    ("Şahin", "Шахин"),
    ("Vüsal", "Вюсал"),
    ("Toğrul", "Тогрул"),
]

AZERBAIJANI_FATHERS = [
    ("Əli", "Али"),
    ("Həsən", "Гасан"),
    ("Məmməd", "Мамед"),
    ("Rəhim", "Рагим"),
    ("Vaqif", "Вагиф"),
    ("İlham", "Ильхам"),
    ("Rasim", "Расим"),
    ("Elxan", "Эльхан"),
    ("Tofiq", "Тофик"),
    ("Zaur", "Заур"),
    ("Natiq", "Натиг"),
    ("Fuad", "Фуад"),
    ("Kamal", "Камал"),
    ("Şükür", "Шукюр"),
]

# (man, woman, Cyrillic man, Cyrillic woman)
AZERBAIJANI_SURNAMES = [
    ("Məmmədov", "Məmmədova", "Мамедов", "Мамедова"),
    ("Əliyev", "Əliyeva", "Алиев", "Алиева"),
    ("Həsənov", "Həsənova", "Гасанов", "Гасанова"),
    ("Hüseynov", "Hüseynova", "Гусейнов", "Гусейнова"),
    ("Quliyev", "Quliyeva", "Кулиев", "Кулиева"),
    ("Abbasov", "Abbasova", "Аббасов", "Аббасова"),
    ("İsmayılov", "İsmayılova", "Исмаилов", "Исмаилова"),
    ("Cəfərov", "Cəfərova", "Джафаров", "Джафарова"),
    ("Rzayev", "Rzayeva", "Рзаев", "Рзаева"),
    ("Qasımov", "Qasımova", "Гасымов", "Гасымова"),
    ("Babayev", "Babayeva", "Бабаев", "Бабаева"),
    ("Kərimov", "Kərimova", "Керимов", "Керимова"),
    ("Süleymanov", "Süleymanova", "Сулейманов", "Сулейманова"),
    ("Orucov", "Orucova", "Оруджев", "Оруджева"),
    ("Mustafayev", "Mustafayeva", "Мустафаев", "Мустафаева"),
    ("Bağırov", "Bağırova", "Багиров", "Багирова"),
    ("Nağıyev", "Nağıyeva", "Нагиев", "Нагиева"),
    ("Əhmədov", "Əhmədova", "Ахмедов", "Ахмедова"),
    ("Vəliyev", "Vəliyeva", "Велиев", "Велиева"),
    ("Sadıqov", "Sadıqova", "Садыгов", "Садыгова"),
    ("İbrahimov", "İbrahimova", "Ибрагимов", "Ибрагимова"),
    ("Rəhimov", "Rəhimova", "Рагимов", "Рагимова"),
    ("Şükürov", "Şükürova", "Шукюров", "Шукюрова"),
    ("Nəsirov", "Nəsirova", "Насиров", "Насирова"),
]

# Surnames in -li / -zadə do not change with sex.
AZERBAIJANI_INVARIANT_SURNAMES = [
    ("Hüseynli", "Гусейнли"),
    ("Məmmədli", "Мамедли"),
    ("Quluzadə", "Кулузаде"),
    ("Əlizadə", "Ализаде"),
]


def armenian_name(rng: random.Random, sex: str, script: str) -> PersonName:
    """A name in Armenian ("hy"), Latin ("latn") or Cyrillic ("cyrl") script.

    Patronymics: the father's name in the genitive on most Armenian-script records, the Russian
    -ович / -овна form on every Cyrillic one, none in Latin (passports carry none).
    """
    first = rng.choice(ARMENIAN_WOMEN if sex == Sex.FEMALE else ARMENIAN_MEN)
    last = rng.choice(ARMENIAN_SURNAMES)
    father = rng.choice(ARMENIAN_FATHERS)
    if script == "hy":
        patronymic = father[0] if rng.random() < 0.6 else ""
        return PersonName(first[0], patronymic, last[0])
    if script == "cyrl":
        stem = father[1]
        if stem.endswith("е"):  # Сергей -> Сергеевич / Сергеевна
            suffix = "евна" if sex == Sex.FEMALE else "евич"
        else:
            suffix = "овна" if sex == Sex.FEMALE else "ович"
        return PersonName(first[2], stem + suffix, last[2])
    return PersonName(first[1], "", last[1])


def azerbaijani_name(rng: random.Random, sex: str, script: str) -> PersonName:
    """A name in Azerbaijani Latin ("latn") or Cyrillic ("cyrl"); patronymic "Vaqif qızı"."""
    female = sex == Sex.FEMALE
    first = rng.choice(AZERBAIJANI_WOMEN if female else AZERBAIJANI_MEN)
    father = rng.choice(AZERBAIJANI_FATHERS)
    if rng.random() < 0.15:
        invariant = rng.choice(AZERBAIJANI_INVARIANT_SURNAMES)
        last_latin, last_cyrillic = invariant
    else:
        surname = rng.choice(AZERBAIJANI_SURNAMES)
        last_latin = surname[1] if female else surname[0]
        last_cyrillic = surname[3] if female else surname[2]
    if script == "cyrl":
        return PersonName(first[1], f"{father[1]} {'кызы' if female else 'оглы'}", last_cyrillic)
    patronymic = f"{father[0]} {'qızı' if female else 'oğlu'}" if rng.random() < 0.7 else ""
    return PersonName(first[0], patronymic, last_latin)


PAKISTANI_WOMEN = [
    ("فاطمہ", "Fatima"),
    ("عائشہ", "Ayesha"),
    ("زینب", "Zainab"),
    ("مریم", "Maryam"),
    ("صائمہ", "Saima"),
    ("نسرین", "Nasreen"),
    ("شازیہ", "Shazia"),
    ("رابعہ", "Rabia"),
    ("کوثر", "Kausar"),
    ("سمیرا", "Sumaira"),
    ("نازیہ", "Nazia"),
    ("رخسانہ", "Rukhsana"),
    ("پروین", "Parveen"),
    ("شبانہ", "Shabana"),
    ("عذرا", "Azra"),
    ("ثمینہ", "Samina"),
    ("حمیرا", "Humaira"),
    ("بشریٰ", "Bushra"),
    ("فرزانہ", "Farzana"),
    ("سلمیٰ", "Salma"),
    ("طاہرہ", "Tahira"),
    ("غزالہ", "Ghazala"),
]

PAKISTANI_MEN = [
    ("محمد", "Muhammad"),
    ("احمد", "Ahmed"),
    ("علی", "Ali"),
    ("عمران", "Imran"),
    ("بلال", "Bilal"),
    ("عثمان", "Usman"),
    ("حسن", "Hassan"),
    ("طارق", "Tariq"),
    ("آصف", "Asif"),
    ("خالد", "Khalid"),
    ("شاہد", "Shahid"),
    ("ندیم", "Nadeem"),
    ("زاہد", "Zahid"),
    ("عرفان", "Irfan"),
    ("کاشف", "Kashif"),
    ("فیصل", "Faisal"),
]

PAKISTANI_SURNAMES = [
    ("خان", "Khan"),
    ("حسین", "Hussain"),
    ("قریشی", "Qureshi"),
    ("شیخ", "Sheikh"),
    ("بٹ", "Butt"),
    ("ملک", "Malik"),
    ("چوہدری", "Chaudhry"),
    ("اعوان", "Awan"),
    ("راجپوت", "Rajput"),
    ("انصاری", "Ansari"),
    ("صدیقی", "Siddiqui"),
    ("اقبال", "Iqbal"),
    ("اسلم", "Aslam"),
    ("محمود", "Mehmood"),
    ("نواز", "Nawaz"),
    ("رانا", "Rana"),
    ("ارائیں", "Arain"),
    ("جٹ", "Jatt"),
    ("ڈوگر", "Dogar"),
    ("سیال", "Sial"),
]


def pakistani_name(rng: random.Random, sex: str, script: str) -> PersonName:
    """A name in Urdu ("ur") or Latin ("latn") script. No patronymic: an ID card names the
    father or husband in a field of its own. Many women are registered as "Bibi"."""
    female = sex == Sex.FEMALE
    first = rng.choice(PAKISTANI_WOMEN if female else PAKISTANI_MEN)
    last = ("بی بی", "Bibi") if female and rng.random() < 0.2 else rng.choice(PAKISTANI_SURNAMES)
    index = 0 if script == "ur" else 1
    return PersonName(first[index], "", last[index])
