Alias: $oi-identifiers = https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers
Alias: $oi-visit-type = https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-visit-type
Alias: $coverage-class = http://terminology.hl7.org/CodeSystem/coverage-class
Alias: $iso3166 = urn:iso:std:iso:3166

// Metadata every conformance resource of the pack carries.
RuleSet: PackMetadata
* ^publisher = "Passerelle"
* ^jurisdiction = $iso3166#SN "Senegal"
* ^experimental = false

// An identifier list sliced by Identifier.type (openIMIS tells its identifiers apart by type).
RuleSet: SliceIdentifierByType
* identifier ^slicing.discriminator.type = #pattern
* identifier ^slicing.discriminator.path = "type"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "openIMIS identifiers are told apart by their type (openimis-identifiers)"
