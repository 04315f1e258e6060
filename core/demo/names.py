"""Name data for the demo generator: people, companies and addresses in six languages.

Written for Accord (no data copied from name libraries). Polish surnames are given in the
masculine form; `feminine()` derives the feminine one (Kowalski → Kowalska).
"""

# fmt: off
LANGUAGES = {
    "en": {
        "male": [
            "James", "Oliver", "William", "Harry", "George", "Thomas", "Jack", "Daniel",
            "Samuel", "Joseph", "Michael", "David", "Robert", "Christopher", "Matthew",
            "Andrew", "Benjamin", "Ethan", "Nathan", "Ryan", "Liam", "Henry", "Edward",
            "Charlie", "Alexander",
        ],
        "female": [
            "Olivia", "Emily", "Amelia", "Isla", "Jessica", "Sophie", "Charlotte", "Grace",
            "Hannah", "Lucy", "Emma", "Sarah", "Rebecca", "Laura", "Megan", "Chloe",
            "Elizabeth", "Victoria", "Rachel", "Katherine", "Abigail", "Madison", "Ella",
            "Natalie", "Eleanor",
        ],
        "last": [
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill",
            "Cooper", "Ward", "Morris", "Baker", "Harris", "Campbell", "Mitchell", "Bennett",
            "Carter", "Parker", "Collins", "Murphy", "Reed", "Fletcher", "Hargreaves",
            "Whitfield", "Ashworth", "Pemberton", "Sullivan", "Anderson", "Miller",
        ],
        "company_words": [
            "Consulting", "Engineering", "Logistics", "Foods", "Supplies", "Solutions",
            "Partners", "Holdings", "Builders", "Electrical", "Printing", "Design",
            "Software", "Motors", "Textiles", "Furniture", "Trading", "Analytics",
            "Marketing", "Accountants", "Dental Care", "Plumbing", "Properties", "Catering",
        ],
        "company_suffixes": ["Ltd", "Ltd", "LLC", "Inc.", "PLC", "Group"],
        "company_patterns": [
            "{last} {word} {suffix}",
            "{city} {word} {suffix}",
            "{last} & {last2} {suffix}",
            "{last} & Sons {suffix}",
        ],
        "streets": [
            "High Street", "Station Road", "Main Street", "Church Lane", "Victoria Road",
            "Park Avenue", "Oak Street", "Maple Avenue", "King Street", "Queen Street",
            "Mill Lane", "Elm Street", "Broadway", "Market Street", "Cedar Lane",
            "Green Lane", "Washington Avenue", "London Road", "Pine Street", "Bridge Street",
        ],
        "street_format": "{number} {street}",
        "mail_domain": "mail.example",
    },
    "tr": {
        "male": [
            "Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan", "İbrahim", "İsmail",
            "Osman", "Yusuf", "Murat", "Ömer", "Ramazan", "Halil", "Süleyman", "Abdullah",
            "Fatih", "Emre", "Burak", "Gökhan", "Serkan", "Oğuz", "Çağrı", "Barış",
            "Tolga", "Kadir", "Uğur", "Erdem",
        ],
        "female": [
            "Fatma", "Ayşe", "Emine", "Hatice", "Zeynep", "Elif", "Meryem", "Şerife",
            "Zehra", "Sultan", "Merve", "Özlem", "Büşra", "Gülşen", "Esra", "Dilek",
            "Gizem", "Şeyma", "Tuğba", "Ebru", "Sevgi", "Nurcan", "Çiğdem", "İpek",
            "Gül", "Derya",
        ],
        "last": [
            "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk",
            "Aydın", "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara",
            "Koç", "Kurt", "Özkan", "Şimşek", "Polat", "Özcan", "Korkmaz", "Çakır",
            "Erdoğan", "Yavuz", "Can", "Acar", "Şen", "Aktaş", "Güler", "Yalçın",
            "Güneş", "Bozkurt", "Bulut", "Keskin", "Ünal", "Turan", "Gül", "Özer",
            "Işık", "Kaplan", "Avcı", "Sarı", "Tekin", "Taş", "Uçar", "Ekinci",
        ],
        "company_words": [
            "Tekstil", "İnşaat", "Gıda", "Lojistik", "Mobilya", "Otomotiv", "Turizm",
            "Yazılım", "Danışmanlık", "Enerji", "Kimya", "Makine", "Elektrik", "Tarım",
            "Ambalaj", "Matbaacılık", "Mimarlık", "Sağlık Hizmetleri", "Dış Ticaret",
            "Seramik", "Halı", "Kuyumculuk",
        ],
        "company_suffixes": [
            "A.Ş.", "Ltd. Şti.", "San. ve Tic. A.Ş.", "San. ve Tic. Ltd. Şti.",
        ],
        "company_patterns": [
            "{last} {word} {suffix}",
            "{city} {word} {suffix}",
            "{last} ve Ortakları {word} {suffix}",
        ],
        "streets": [
            "Atatürk Caddesi", "Cumhuriyet Caddesi", "İstiklal Caddesi", "Bağdat Caddesi",
            "Gazi Mustafa Kemal Bulvarı", "İnönü Caddesi", "Fevzi Çakmak Sokak",
            "Millet Caddesi", "Barbaros Bulvarı", "Kızılay Sokak", "Halaskargazi Caddesi",
            "Çiçek Sokak", "Gül Sokak", "Menekşe Sokak", "Lale Sokak", "Okul Sokak",
            "Değirmen Sokak", "Yıldız Sokak", "Papatya Sokak", "Çınar Sokak",
        ],
        "street_format": "{street} No: {number}",
        "mail_domain": "posta.example",
    },
    "pl": {
        "male": [
            "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin",
            "Jakub", "Łukasz", "Mateusz", "Grzegorz", "Wojciech", "Mariusz", "Dariusz",
            "Zbigniew", "Jerzy", "Stanisław", "Kazimierz", "Józef", "Rafał", "Sławomir",
            "Przemysław", "Bartłomiej", "Jarosław", "Maciej", "Szymon",
        ],
        "female": [
            "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa",
            "Krystyna", "Elżbieta", "Magdalena", "Joanna", "Zofia", "Monika", "Beata",
            "Dorota", "Aleksandra", "Jadwiga", "Halina", "Grażyna", "Bożena", "Urszula",
            "Iwona", "Żaneta", "Jolanta", "Łucja", "Agata",
        ],
        "last": [
            "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
            "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski",
            "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski",
            "Pawłowski", "Michalski", "Nowicki", "Adamczyk", "Dudek", "Zając", "Wieczorek",
            "Jabłoński", "Król", "Wróbel", "Stępień", "Górski", "Sikora", "Bąk",
            "Zawadzki", "Czarnecki", "Sokołowski", "Kaźmierczak", "Śliwiński", "Żak",
            "Różański", "Ćwik", "Maćkowiak", "Węgrzyn", "Dobrzański", "Ziółkowski",
            "Głowacki", "Kołodziej",
        ],
        "company_words": [
            "Budownictwo", "Transport", "Usługi Księgowe", "Handel", "Meble", "Piekarnia",
            "Okna i Drzwi", "Instalacje", "Ogrody", "Drukarnia", "Elektronika", "Spedycja",
            "Hurtownia", "Żywność", "Tartak", "Stolarka", "Kancelaria Prawna",
            "Ubezpieczenia", "Łożyska", "Ślusarstwo", "Części Samochodowe", "Przetwórstwo",
        ],
        "company_suffixes": ["Sp. z o.o.", "Sp. z o.o.", "S.A.", "Sp.j.", "Sp.k.", "s.c."],
        "company_patterns": [
            "{word} {last} {suffix}",
            "{last} i Synowie {suffix}",
            "{word} {city} {suffix}",
        ],
        "streets": [
            "Marszałkowska", "Piotrkowska", "Długa", "Mickiewicza", "Słowackiego",
            "Kościuszki", "Żeromskiego", "Sienkiewicza", "Jana Pawła II", "Grunwaldzka",
            "Ogrodowa", "Polna", "Leśna", "Szkolna", "Kwiatowa", "Łąkowa", "Wrzosowa",
            "Świętokrzyska", "Źródlana", "Kopernika",
        ],
        "street_format": "ul. {street} {number}",
        "mail_domain": "poczta.example",
    },
    "fr": {
        "male": [
            "Jean", "Pierre", "Michel", "André", "Philippe", "Louis", "René", "Jérôme",
            "Stéphane", "Frédéric", "François", "Sébastien", "Mathéo", "Benoît", "Noël",
            "Clément", "Théo", "Léon", "Raphaël", "Jérémy", "Nicolas", "Julien", "Hugo",
            "Gaël", "Loïc",
        ],
        "female": [
            "Hélène", "Élodie", "Chloé", "Léa", "Zoé", "Anaïs", "Gaëlle", "Aurélie",
            "Cécile", "Émilie", "Valérie", "Thérèse", "Françoise", "Agnès", "Inès",
            "Maëlle", "Camille", "Manon", "Sophie", "Isabelle", "Nathalie", "Sylvie",
            "Céline", "Margaux", "Océane",
        ],
        "last": [
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
            "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
            "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
            "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
            "Hébert", "Boucher", "Gagné", "Bélanger", "Pelletier", "Côté", "Lévesque",
            "Rousseau", "Blanc", "Guérin", "Muller", "Perrin", "Morin", "Mathieu",
            "Clément", "Gauthier", "Fontaine", "Chevalier", "Barthélemy", "Lemaître",
        ],
        "company_words": [
            "Boulangerie", "Transports", "Menuiserie", "Cabinet", "Éditions", "Hôtel",
            "Pharmacie", "Garage", "Imprimerie", "Électricité", "Plomberie", "Maçonnerie",
            "Fromagerie", "Librairie", "Bâtiment", "Conseil", "Informatique", "Vignobles",
            "Pâtisserie", "Chocolaterie", "Architecture", "Traiteur",
        ],
        "company_suffixes": ["SARL", "SARL", "SAS", "SA", "EURL", "SNC"],
        "company_patterns": [
            "{word} {last} {suffix}",
            "{last} & {last2} {suffix}",
            "{last} et Fils {suffix}",
        ],
        "streets": [
            "rue de la Paix", "avenue des Champs-Élysées", "boulevard Saint-Germain",
            "rue de Rivoli", "rue Victor Hugo", "place de la République",
            "rue du Faubourg Saint-Honoré", "avenue Jean Jaurès", "rue Émile Zola",
            "rue Pasteur", "rue de l'Église", "chemin des Vignes", "allée des Tilleuls",
            "rue du Général de Gaulle", "boulevard Gambetta", "rue de la Gare",
            "impasse des Lilas", "rue Nationale", "avenue de la Libération",
            "quai de la Tournelle",
        ],
        "street_format": "{number} {street}",
        "mail_domain": "courriel.example",
    },
    "hu": {
        "male": [
            "László", "István", "József", "János", "Zoltán", "Sándor", "Gábor",
            "Ferenc", "Attila", "Péter", "Tamás", "Zsolt", "Tibor", "András", "Csaba",
            "Imre", "Lajos", "György", "Balázs", "Róbert", "Miklós", "Gergő", "Bence",
            "Máté", "Ádám", "Levente", "Áron", "Ödön",
        ],
        "female": [
            "Mária", "Erzsébet", "Katalin", "Éva", "Ilona", "Anna", "Zsuzsanna",
            "Margit", "Judit", "Ágnes", "Andrea", "Erika", "Krisztina", "Mónika", "Edit",
            "Gabriella", "Szilvia", "Tímea", "Eszter", "Zsófia", "Réka", "Boglárka",
            "Dóra", "Nóra", "Orsolya", "Ildikó", "Enikő", "Tünde", "Gyöngyi",
        ],
        "last": [
            "Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár",
            "Németh", "Farkas", "Balogh", "Papp", "Takács", "Juhász", "Lakatos",
            "Mészáros", "Oláh", "Simon", "Rácz", "Fekete", "Szilágyi", "Török", "Fehér",
            "Gál", "Szűcs", "Kocsis", "Pintér", "Fodor", "Szalai", "Sipos", "Magyar",
            "Lukács", "Gulyás", "Bíró", "Király", "Katona", "Fazekas", "Kelemen",
            "Hegedűs", "Szőke", "Győri", "Lőrincz", "Vörös", "Erdős", "Pásztor",
            "Bálint", "Fülöp", "Őze",
        ],
        "company_words": [
            "Építőipari", "Szállítmányozási", "Kereskedelmi", "Bútorgyártó", "Pékség",
            "Nyomda", "Könyvelő Iroda", "Ügyvédi Iroda", "Informatikai", "Mezőgazdasági",
            "Gépipari", "Villamossági", "Borászat", "Vendéglátó", "Fuvarozó",
            "Ingatlanforgalmazó", "Szolgáltató", "Kertészeti", "Tanácsadó", "Cukrászda",
        ],
        "company_suffixes": ["Kft.", "Kft.", "Bt.", "Zrt.", "Nyrt.", "Kkt."],
        "company_patterns": [
            "{last} {word} {suffix}",
            "{last} és Társa {suffix}",
            "{last}-{last2} {word} {suffix}",
        ],
        "streets": [
            "Kossuth Lajos utca", "Petőfi Sándor utca", "Rákóczi út", "Andrássy út",
            "Váci utca", "Dózsa György út", "Széchenyi tér", "Arany János utca",
            "Bajcsy-Zsilinszky út", "Ady Endre utca", "József Attila utca",
            "Kölcsey Ferenc utca", "Fő utca", "Szabadság tér", "Béke utca", "Tavasz utca",
            "Erzsébet körút", "Üllői út", "Hősök tere", "Bem József utca",
        ],
        "street_format": "{street} {number}.",
        "mail_domain": "levelezes.example",
    },
    "sw": {
        "male": [
            "Juma", "Baraka", "Amani", "Imani", "Faraji", "Jabari", "Bakari", "Hamisi",
            "Omari", "Salim", "Rashidi", "Zuberi", "Khamis", "Shabani", "Ramadhani",
            "Saidi", "Hassani", "Tumaini", "Mosi", "Otieno", "Kamau", "Kiprono", "Mwinyi",
            "Athumani", "Musa", "Idrisa",
        ],
        "female": [
            "Neema", "Rehema", "Zawadi", "Mwajuma", "Mwanaisha", "Halima", "Aisha",
            "Fatuma", "Upendo", "Furaha", "Subira", "Pendo", "Asha", "Mariamu", "Saida",
            "Zuhura", "Makena", "Wanjiru", "Njeri", "Akinyi", "Achieng", "Nafula",
            "Wambui", "Mwanahawa", "Tatu", "Amina",
        ],
        "last": [
            "Mwangi", "Kamau", "Otieno", "Odhiambo", "Ochieng", "Wanjiku", "Njoroge",
            "Kariuki", "Mutua", "Kimani", "Mohamed", "Hassan", "Mwakyusa", "Mushi",
            "Massawe", "Lyimo", "Kimaro", "Swai", "Mrema", "Temba", "Shirima", "Mollel",
            "Laizer", "Kombo", "Juma", "Salim", "Msuya", "Mbwambo", "Mfinanga",
            "Mwakalinga", "Chacha", "Wambura", "Kibet", "Chebet", "Rotich", "Mutiso",
            "Muthoni", "Onyango", "Owino", "Akida", "Bakari", "Mwinyimkuu", "Ngowi",
            "Urio",
        ],
        "company_words": [
            "Traders", "Enterprises", "Logistics", "Hardware", "Agencies", "Ujenzi",
            "Biashara", "Usafirishaji", "Kilimo", "Huduma", "Safari", "Pwani", "Bahari",
            "Mazao", "Kahawa", "Chai", "Pamba", "Samaki", "Nyumba", "Tumaini",
        ],
        "company_suffixes": ["Ltd", "Limited", "Co. Ltd", "Ltd"],
        "company_patterns": [
            "{last} {word} {suffix}",
            "{city} {word} {suffix}",
            "{last} & {last2} {suffix}",
        ],
        "streets": [
            "Barabara ya Uhuru", "Moi Avenue", "Kenyatta Avenue", "Mtaa wa Jamhuri",
            "Barabara ya Nyerere", "Mtaa wa Samora", "Barabara ya Bagamoyo",
            "Mtaa wa Kariakoo", "Ngong Road", "Barabara ya Morogoro", "Mtaa wa Msimbazi",
            "Digo Road", "Haile Selassie Avenue", "Mtaa wa Lumumba",
            "Barabara ya Ali Hassan Mwinyi", "Mtaa wa Mkwepu", "Tom Mboya Street",
            "Mtaa wa Azikiwe", "Barabara ya Kilwa", "Mtaa wa Mnazi Mmoja",
        ],
        "street_format": "{street} {number}",
        "mail_domain": "barua.example",
    },
}

# Countries: language, name, ISO code, currency, share of the data, phone templates
# ('#' is a random digit), mobile templates, and cities (city, region, postal template).
COUNTRIES = [
    {
        "lang": "en", "country": "United Kingdom", "code": "GB", "currency": "GBP",
        "weight": 9,
        "phones": ["+44 20 7### ####", "+44 161 ### ####", "+44 121 ### ####",
                   "+44 113 ### ####", "+44 131 ### ####"],
        "mobiles": ["+44 7### ######"],
        "cities": [
            ("London", "Greater London", "EC# #AB"), ("Manchester", "Greater Manchester",
            "M# #DE"), ("Birmingham", "West Midlands", "B## #HJ"), ("Leeds",
            "West Yorkshire", "LS# #QT"), ("Edinburgh", "Scotland", "EH# #NX"),
            ("Bristol", "Bristol", "BS# #PL"), ("Cardiff", "Wales", "CF## #RS"),
            ("Liverpool", "Merseyside", "L# #GU"),
        ],
    },
    {
        "lang": "en", "country": "United States", "code": "US", "currency": "USD",
        "weight": 9,
        "phones": ["+1 212-###-####", "+1 312-###-####", "+1 512-###-####",
                   "+1 415-###-####", "+1 617-###-####"],
        "mobiles": ["+1 646-###-####", "+1 872-###-####", "+1 737-###-####"],
        "cities": [
            ("New York", "NY", "100##"), ("Chicago", "IL", "606##"), ("Austin", "TX",
            "787##"), ("San Francisco", "CA", "941##"), ("Boston", "MA", "021##"),
            ("Seattle", "WA", "981##"), ("Denver", "CO", "802##"), ("Atlanta", "GA",
            "303##"),
        ],
    },
    {
        "lang": "tr", "country": "Türkiye", "code": "TR", "currency": "TRY", "weight": 18,
        "phones": ["+90 212 ### ## ##", "+90 216 ### ## ##", "+90 312 ### ## ##",
                   "+90 232 ### ## ##", "+90 224 ### ## ##"],
        "mobiles": ["+90 53# ### ## ##", "+90 54# ### ## ##", "+90 50# ### ## ##",
                    "+90 55# ### ## ##"],
        "cities": [
            ("İstanbul", "İstanbul", "34###"), ("Ankara", "Ankara", "06###"),
            ("İzmir", "İzmir", "35###"), ("Bursa", "Bursa", "16###"),
            ("Antalya", "Antalya", "07###"), ("Eskişehir", "Eskişehir", "26###"),
            ("Gaziantep", "Gaziantep", "27###"), ("Kayseri", "Kayseri", "38###"),
            ("Muğla", "Muğla", "48###"), ("Diyarbakır", "Diyarbakır", "21###"),
            ("Çanakkale", "Çanakkale", "17###"), ("Şanlıurfa", "Şanlıurfa", "63###"),
        ],
    },
    {
        "lang": "pl", "country": "Polska", "code": "PL", "currency": "PLN", "weight": 17,
        "phones": ["+48 22 ### ## ##", "+48 12 ### ## ##", "+48 71 ### ## ##",
                   "+48 61 ### ## ##", "+48 58 ### ## ##"],
        "mobiles": ["+48 5## ### ###", "+48 6## ### ###", "+48 7## ### ###",
                    "+48 88# ### ###"],
        "cities": [
            ("Warszawa", "mazowieckie", "0#-###"), ("Kraków", "małopolskie", "3#-###"),
            ("Łódź", "łódzkie", "9#-###"), ("Wrocław", "dolnośląskie", "5#-###"),
            ("Poznań", "wielkopolskie", "6#-###"), ("Gdańsk", "pomorskie", "80-###"),
            ("Szczecin", "zachodniopomorskie", "7#-###"),
            ("Bydgoszcz", "kujawsko-pomorskie", "85-###"), ("Lublin", "lubelskie",
            "20-###"), ("Białystok", "podlaskie", "15-###"), ("Katowice", "śląskie",
            "40-###"), ("Rzeszów", "podkarpackie", "35-###"), ("Kielce",
            "świętokrzyskie", "25-###"), ("Toruń", "kujawsko-pomorskie", "87-###"),
        ],
    },
    {
        "lang": "fr", "country": "France", "code": "FR", "currency": "EUR", "weight": 17,
        "phones": ["+33 1 ## ## ## ##", "+33 2 ## ## ## ##", "+33 3 ## ## ## ##",
                   "+33 4 ## ## ## ##", "+33 5 ## ## ## ##"],
        "mobiles": ["+33 6 ## ## ## ##", "+33 7 ## ## ## ##"],
        "cities": [
            ("Paris", "Île-de-France", "750##"), ("Lyon", "Auvergne-Rhône-Alpes",
            "6900#"), ("Marseille", "Provence-Alpes-Côte d'Azur", "130##"),
            ("Toulouse", "Occitanie", "310##"), ("Nice", "Provence-Alpes-Côte d'Azur",
            "060##"), ("Nantes", "Pays de la Loire", "440##"), ("Strasbourg",
            "Grand Est", "670##"), ("Montpellier", "Occitanie", "340##"), ("Bordeaux",
            "Nouvelle-Aquitaine", "330##"), ("Lille", "Hauts-de-France", "590##"),
            ("Rennes", "Bretagne", "350##"), ("Saint-Étienne", "Auvergne-Rhône-Alpes",
            "420##"), ("Besançon", "Bourgogne-Franche-Comté", "250##"), ("Orléans",
            "Centre-Val de Loire", "450##"), ("Nîmes", "Occitanie", "300##"),
        ],
    },
    {
        "lang": "hu", "country": "Magyarország", "code": "HU", "currency": "HUF",
        "weight": 15,
        "phones": ["+36 1 ### ####", "+36 52 ### ###", "+36 62 ### ###",
                   "+36 72 ### ###", "+36 96 ### ###"],
        "mobiles": ["+36 20 ### ####", "+36 30 ### ####", "+36 70 ### ####"],
        "cities": [
            ("Budapest", "Budapest", "1###"), ("Debrecen", "Hajdú-Bihar", "40##"),
            ("Szeged", "Csongrád-Csanád", "67##"), ("Miskolc", "Borsod-Abaúj-Zemplén",
            "35##"), ("Pécs", "Baranya", "76##"), ("Győr", "Győr-Moson-Sopron", "90##"),
            ("Nyíregyháza", "Szabolcs-Szatmár-Bereg", "44##"), ("Kecskemét",
            "Bács-Kiskun", "60##"), ("Székesfehérvár", "Fejér", "80##"), ("Szombathely",
            "Vas", "97##"), ("Szolnok", "Jász-Nagykun-Szolnok", "50##"), ("Érd", "Pest",
            "203#"), ("Sopron", "Győr-Moson-Sopron", "940#"), ("Veszprém", "Veszprém",
            "820#"), ("Eger", "Heves", "330#"),
        ],
    },
    {
        "lang": "sw", "country": "Kenya", "code": "KE", "currency": "KES", "weight": 8,
        "phones": ["+254 20 ### ####", "+254 41 ### ####", "+254 57 ### ####"],
        "mobiles": ["+254 7## ### ###", "+254 1## ### ###"],
        "cities": [
            ("Nairobi", "Nairobi", "00###"), ("Mombasa", "Mombasa", "80###"),
            ("Kisumu", "Kisumu", "40###"), ("Nakuru", "Nakuru", "20###"),
            ("Eldoret", "Uasin Gishu", "30###"), ("Malindi", "Kilifi", "80200"),
            ("Nyeri", "Nyeri", "10100"), ("Thika", "Kiambu", "01000"),
            ("Lamu", "Lamu", "80500"),
        ],
    },
    {
        "lang": "sw", "country": "Tanzania", "code": "TZ", "currency": "TZS", "weight": 7,
        "phones": ["+255 22 ### ####", "+255 27 ### ####", "+255 24 ### ####"],
        "mobiles": ["+255 7## ### ###", "+255 6## ### ###"],
        "cities": [
            ("Dar es Salaam", "Dar es Salaam", "1####"), ("Arusha", "Arusha", "23###"),
            ("Dodoma", "Dodoma", "41###"), ("Mwanza", "Mwanza", "33###"),
            ("Zanzibar", "Mjini Magharibi", "71###"), ("Mbeya", "Mbeya", "53###"),
            ("Morogoro", "Morogoro", "67###"), ("Tanga", "Tanga", "21###"),
            ("Moshi", "Kilimanjaro", "25###"), ("Iringa", "Iringa", "51###"),
        ],
    },
]

# Euros to each currency, roughly: deal values stay plausible per country.
CURRENCY_RATES = {
    "EUR": 1, "GBP": 0.85, "USD": 1.1, "TRY": 35, "PLN": 4.3, "HUF": 390, "KES": 140,
    "TZS": 2900,
}

TITLES = [
    "CEO", "Managing Director", "Director", "Finance Director", "Accountant", "Lawyer",
    "Buyer", "Purchasing Manager", "Sales Manager", "Office Manager", "Operations Manager",
    "IT Manager", "Owner", "Marketing Manager", "Project Manager", "Assistant", "Engineer",
    "HR Manager", "Logistics Coordinator", "Procurement Specialist",
]

PRODUCTS = {
    "Sales": [
        "Annual licence", "Hardware bundle", "Starter package", "Enterprise plan",
        "Office equipment", "Spare parts order", "Maintenance contract", "Bulk order",
        "Renewal", "Upgrade", "Pilot project", "Framework agreement",
    ],
    "Services": [
        "Implementation", "Training days", "Support contract", "Consulting",
        "Data migration", "Audit", "Custom development", "Onboarding workshop",
    ],
}

TASKS = [
    "Call to discuss the quote", "Send the updated proposal", "Follow up on the invoice",
    "Prepare a product demo", "Ask for two references", "Confirm the delivery date",
    "Send the contract for signature", "Check the payment status", "Book a site visit",
    "Send samples", "Schedule the kick-off meeting", "Review the requirements",
    "Chase the purchase order", "Introduce the account manager", "Send the price list",
]

NOTES = [
    "Prefers to be contacted by phone in the morning.",
    "Budget approved for next quarter; decision by the board.",
    "Asked for a discount on volume; we offered 5%.",
    "Competitor already on site, we need a stronger offer.",
    "Met at the trade show, very interested in the premium tier.",
    "Decision maker is on holiday until the end of the month.",
    "Happy with the last delivery, wants to expand the order.",
    "Requested the documentation in their own language.",
    "Payment terms: 30 days after invoice.",
    "Needs approval from the finance department first.",
]

APPOINTMENTS = [
    "Product demo", "Contract negotiation", "Kick-off meeting", "Quarterly review",
    "Site visit", "Introductory call", "Training session", "Price discussion",
]
# fmt: on


def feminine(last, lang):
    """Polish surnames in -ski/-cki/-dzki take -ska/-cka/-dzka for women."""
    if lang == "pl" and last.endswith("ki"):
        return last[:-1] + "a"
    return last
