Alias: $iso3166 = urn:iso:std:iso:3166

// Metadata every conformance resource of the pack carries.
RuleSet: PackMetadata
* ^publisher = "Passerelle"
* ^jurisdiction = $iso3166#SN "Senegal"
* ^experimental = false
