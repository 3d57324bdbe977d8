CodeSystem: PasserelleDemoTariff
Id: demo-tariff
Title: "Tarif national de démonstration"
Description: "Example national tariff of the Passerelle demo: service codes, French displays (English designations) and agreed prices in XOF, as in gateway/demo/demo-claims.ts (DEMO_TARIFF)."
* insert PackMetadata
* ^url = "urn:passerelle:demo:tariff"
* ^language = #fr
* ^caseSensitive = true
* ^content = #complete
* ^property[0].code = #price
* ^property[0].type = #decimal
* ^property[0].description = "Agreed price in XOF"
* #CONS01 "Consultation de médecine générale"
* #CONS01 ^designation[0].language = #en
* #CONS01 ^designation[0].value = "General practice consultation"
* #CONS01 ^property[0].code = #price
* #CONS01 ^property[0].valueDecimal = 15000
* #CONS02 "Consultation spécialisée"
* #CONS02 ^designation[0].language = #en
* #CONS02 ^designation[0].value = "Specialist consultation"
* #CONS02 ^property[0].code = #price
* #CONS02 ^property[0].valueDecimal = 25000
* #LAB01 "Numération formule sanguine"
* #LAB01 ^designation[0].language = #en
* #LAB01 ^designation[0].value = "Full blood count"
* #LAB01 ^property[0].code = #price
* #LAB01 ^property[0].valueDecimal = 8000
* #LAB02 "Glycémie à jeun"
* #LAB02 ^designation[0].language = #en
* #LAB02 ^designation[0].value = "Fasting blood glucose"
* #LAB02 ^property[0].code = #price
* #LAB02 ^property[0].valueDecimal = 3000
* #RAD01 "Radiographie thoracique"
* #RAD01 ^designation[0].language = #en
* #RAD01 ^designation[0].value = "Chest X-ray"
* #RAD01 ^property[0].code = #price
* #RAD01 ^property[0].valueDecimal = 25000
* #ECHO01 "Échographie abdominale"
* #ECHO01 ^designation[0].language = #en
* #ECHO01 ^designation[0].value = "Abdominal ultrasound"
* #ECHO01 ^property[0].code = #price
* #ECHO01 ^property[0].valueDecimal = 30000
* #PHA01 "Médicaments sur ordonnance"
* #PHA01 ^designation[0].language = #en
* #PHA01 ^designation[0].value = "Prescription medicines"
* #PHA01 ^property[0].code = #price
* #PHA01 ^property[0].valueDecimal = 12000
* #HOSP01 "Hospitalisation, forfait séjour"
* #HOSP01 ^designation[0].language = #en
* #HOSP01 ^designation[0].value = "Hospital stay, flat rate"
* #HOSP01 ^property[0].code = #price
* #HOSP01 ^property[0].valueDecimal = 650000
* #COSM01 "Soin esthétique du visage"
* #COSM01 ^designation[0].language = #en
* #COSM01 ^designation[0].value = "Cosmetic facial treatment"
* #COSM01 ^property[0].code = #price
* #COSM01 ^property[0].valueDecimal = 45000
* #COSM02 "Blanchiment dentaire"
* #COSM02 ^designation[0].language = #en
* #COSM02 ^designation[0].value = "Tooth whitening"
* #COSM02 ^property[0].code = #price
* #COSM02 ^property[0].valueDecimal = 60000

ValueSet: PasserelleDemoTariffVS
Id: demo-tariff
Title: "Actes du tarif national de démonstration"
Description: "Every code of the demo national tariff (urn:passerelle:demo:tariff)."
* insert PackMetadata
* include codes from system $tariff

CodeSystem: PasserelleRejectionReason
Id: rejection-reason
Title: "Motifs de rejet Passerelle"
Description: "Why Passerelle, or an insurer behind it, turns a claim or an eligibility request down. French displays, English designations."
* insert PackMetadata
* ^url = "https://fhir.passerelle.sn/CodeSystem/rejection-reason"
* ^language = #fr
* ^caseSensitive = true
* ^content = #complete
* #validation-failed "Échec de la validation" "The submission does not meet the profiles of passerelle-base or of the insurer's pack; the OperationOutcome lists each issue."
* #validation-failed ^designation[0].language = #en
* #validation-failed ^designation[0].value = "Validation failed"
* #member-unknown "Assuré inconnu" "The insurer does not know the member (no member number, or an unknown one)."
* #member-unknown ^designation[0].language = #en
* #member-unknown ^designation[0].value = "Member unknown"
* #coverage-inactive "Couverture non active" "The member's coverage is not in force on the date of service."
* #coverage-inactive ^designation[0].language = #en
* #coverage-inactive ^designation[0].value = "Coverage not in force"
* #service-outside-coverage "Prestation non couverte" "The service is outside what the member's coverage pays for."
* #service-outside-coverage ^designation[0].language = #en
* #service-outside-coverage ^designation[0].value = "Service not covered"
* #duplicate "Demande en double" "The same claim (same provider identifier) was already submitted."
* #duplicate ^designation[0].language = #en
* #duplicate ^designation[0].value = "Duplicate"
* #insurer-refused "Refusée par l'assureur" "The insurer refused to take the claim (it answered with an error)."
* #insurer-refused ^designation[0].language = #en
* #insurer-refused ^designation[0].value = "Refused by the insurer"
* #delivery-failed "Échec de la transmission" "Every attempt to deliver the claim to the insurer failed."
* #delivery-failed ^designation[0].language = #en
* #delivery-failed ^designation[0].value = "Delivery failed"
* #insurer-unavailable "Assureur indisponible" "The insurer cannot be reached for now; submit again later."
* #insurer-unavailable ^designation[0].language = #en
* #insurer-unavailable ^designation[0].value = "Insurer unavailable"

ValueSet: PasserelleRejectionReasonVS
Id: rejection-reason
Title: "Motifs de rejet Passerelle"
Description: "Every Passerelle rejection reason (https://fhir.passerelle.sn/CodeSystem/rejection-reason)."
* insert PackMetadata
* include codes from system $rejection-reason
