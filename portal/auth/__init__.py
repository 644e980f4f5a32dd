"""The account pages at the root of the site: home (/), login (/masuk, its second step
/masuk/kode), logout (/keluar), own password (/sandi), own second factor (/akun/dua-langkah) and
the interface language (/bahasa)."""
