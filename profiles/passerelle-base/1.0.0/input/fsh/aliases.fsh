Alias: $claim-type = http://terminology.hl7.org/CodeSystem/claim-type
Alias: $iso3166 = urn:iso:std:iso:3166
Alias: $tariff = urn:passerelle:demo:tariff
Alias: $rejection-reason = https://fhir.passerelle.sn/CodeSystem/rejection-reason

// Metadata every conformance resource of the pack carries (SUSHI drops publisher and jurisdiction
// inherited from the base definitions, and FSHOnly projects take no publisher from sushi-config.yaml).
RuleSet: PackMetadata
* ^publisher = "Passerelle"
* ^jurisdiction = $iso3166#SN "Senegal"
* ^experimental = false
